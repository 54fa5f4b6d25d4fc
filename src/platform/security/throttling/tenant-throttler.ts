import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerOptions } from '@nestjs/throttler';
import type { RequestWithCaller } from '../../context/caller';
import type { ThrottlingConfig } from './throttling.config';

const tenantOf = (ctx: ExecutionContext) => ctx.switchToHttp().getRequest<RequestWithCaller>().caller?.tenant;

/**
 * The `tenant` throttler: one quota per tenant, shared by all its callers and routes (the key is
 * the tenant alone, not the route). Off for a tenant whose limit is 0 and for unauthenticated
 * requests (the caller is resolved before any throttler runs).
 */
export function tenantThrottler(config: ThrottlingConfig['tenant']): ThrottlerOptions {
  const limitOf = (tenant: string | undefined) =>
    tenant === undefined ? 0 : (config.overrides.get(tenant) ?? config.limit);
  return {
    name: 'tenant',
    ttl: config.ttlMs,
    limit: (ctx) => limitOf(tenantOf(ctx)),
    skipIf: (ctx) => limitOf(tenantOf(ctx)) === 0,
    getTracker: (req) => `tenant:${(req as RequestWithCaller).caller?.tenant ?? ''}`,
    generateKey: (_ctx, tracker, name) => `${name}:${tracker}`,
  };
}
