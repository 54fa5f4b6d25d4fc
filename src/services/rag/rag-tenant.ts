import type { Caller } from '../../platform/context';

/** Tenant of requests without an authenticated caller (dev mode, no credentials configured). */
export const DEFAULT_TENANT = 'default';

/**
 * The one place that decides whose documents a request sees: the caller's tenant from the
 * security layer. Every store call takes the result, so tenants never see each other's data.
 */
export function tenantOf(caller: Caller | undefined): string {
  return caller?.tenant || DEFAULT_TENANT;
}
