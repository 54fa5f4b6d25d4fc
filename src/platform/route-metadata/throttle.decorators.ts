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
