import type { Request } from 'express';

/** Roles, lowest first: each role includes the rights of those before it. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type CallerKind = 'api-key' | 'jwt' | 'dev';

/** Who is calling: put on the request by the AuthGuard, read with `@CurrentCaller()` or `CallerContext`. */
export interface Caller {
  /** API-key id, JWT subject, or `dev`. */
  id: string;
  kind: CallerKind;
  roles: Role[];
  tenant: string;
}

const rank = (role: Role): number => ROLES.indexOf(role);

/** True when one of the caller's roles is `required` or ranks above it (viewer < operator < admin). */
export function hasRole(caller: Pick<Caller, 'roles'>, required: Role): boolean {
  return caller.roles.some((r) => rank(r) >= rank(required));
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** A request that has been through authentication. */
export interface RequestWithCaller extends Request {
  caller?: Caller;
}
