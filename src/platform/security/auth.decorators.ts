import { SetMetadata } from '@nestjs/common';

/** Roles, lowest first: each role includes the rights of those before it. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const IS_PUBLIC_KEY = 'fennec:public';
export const REQUIRED_ROLE_KEY = 'fennec:role';

/** The route needs no credentials (probes, docs). Everything else is denied by default. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/** The caller needs at least this role (`viewer` < `operator` < `admin`). */
export const Roles = (role: Role) => SetMetadata(REQUIRED_ROLE_KEY, role);
