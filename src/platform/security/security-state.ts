import type { Provider } from '@nestjs/common';
import { STATE_STORE } from '../state/state-store';

/**
 * DI token of the {@link StateStore} security keeps its counters, trust scores and events in: the
 * application's shared `STATE_STORE` (Redis when REDIS_URL is set, so limits and events hold
 * across instances). An alias so tests can give security a store of its own.
 */
export const SECURITY_STATE = Symbol('SECURITY_STATE');

export const securityStateProvider: Provider = { provide: SECURITY_STATE, useExisting: STATE_STORE };
