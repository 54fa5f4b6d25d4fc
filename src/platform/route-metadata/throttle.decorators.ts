import { applyDecorators, type InjectionToken, SetMetadata } from '@nestjs/common';
import { SkipThrottle, Throttle } from '@nestjs/throttler';

/** Names of the configured throttlers (THROTTLE_BURST_*, THROTTLE_SUSTAINED_*, THROTTLE_TENANT_*). */
export type ThrottlerName = 'burst' | 'sustained' | 'tenant';

/** Exempts a route (or controller) from every rate limit, e.g. orchestrator probes. */
export const SkipAllThrottles = () => SkipThrottle({ burst: true, sustained: true, tenant: true });

/**
 * Per-route limits overriding the configured ones, e.g.
 * `@ThrottleLimits({ burst: { limit: 2, ttl: 1000 } })` for an expensive route.
 * (`@Throttle` / `@SkipThrottle` from @nestjs/throttler work too; this only types the names.)
 */
export const ThrottleLimits = (
  limits: Partial<Record<ThrottlerName, { limit: number; ttl: number; blockDuration?: number }>>,
) => Throttle(limits);

/**
 * A per-route limit that comes from a configuration provider: the throttler guard resolves
 * `token` through dependency injection (once, on the first request) and calls `pick` on it.
 * Decorators run when a class is defined, before any configuration exists; this lets a route's
 * limit follow configuration without module-level state that something must set at boot.
 */
export class ConfiguredLimit<C = unknown> {
  constructor(
    /** DI token of the configuration, e.g. a config namespace's `KEY`. */
    readonly token: InjectionToken,
    readonly pick: (config: C) => number,
  ) {}
}

/**
 * Per-route limit of one throttler read from configuration, e.g.
 * `@ThrottleFromConfig('sustained', llmConfig.KEY, (c: LlmConfig) => c.chatPerMinute, 60_000)`.
 */
export const ThrottleFromConfig = <C>(
  throttler: ThrottlerName,
  token: InjectionToken,
  pick: (config: C) => number,
  ttl: number,
): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(`THROTTLER:LIMIT${throttler}`, new ConfiguredLimit<C>(token, pick)),
    SetMetadata(`THROTTLER:TTL${throttler}`, ttl),
  );
