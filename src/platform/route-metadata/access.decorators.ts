import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Role } from '../context/caller';

export const IS_PUBLIC_KEY = 'fennec:public';
export const REQUIRED_ROLE_KEY = 'fennec:role';

/** OpenAPI extensions the security scheme post-processing reads (and `x-fennec-role` keeps). */
export const PUBLIC_EXTENSION = 'x-fennec-public';
export const ROLE_EXTENSION = 'x-fennec-role';

/** Auth settings that can make a route public (see {@link PublicIf}). */
export type PublicSwitch = 'metricsPublic';

/** DI token of the current value of every {@link PublicSwitch} (provided by the security module). */
export const PUBLIC_SWITCHES = Symbol('PUBLIC_SWITCHES');
export type PublicSwitches = Record<PublicSwitch, boolean>;

/** The route needs no credentials (probes, docs). Everything else is denied by default. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), ApiExtension(PUBLIC_EXTENSION, true));

/** The route is public only when the named auth setting is on (e.g. `METRICS_PUBLIC`). */
export const PublicIf = (setting: PublicSwitch) =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, setting), ApiExtension(PUBLIC_EXTENSION, setting));

/**
 * The caller needs at least this role (`viewer` < `operator` < `admin`). Routes without it need
 * an authenticated caller with any role (at least `viewer`).
 */
export const Roles = (role: Role) =>
  applyDecorators(SetMetadata(REQUIRED_ROLE_KEY, role), ApiExtension(ROLE_EXTENSION, role));
