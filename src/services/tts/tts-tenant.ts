import type { Caller } from '../../platform/context';

/** Tenant of requests without an authenticated caller's tenant (dev mode). */
const DEFAULT_TENANT = 'default';

/** Whose stored speech a request (or a job, run as its submitter) reads and writes. */
export const tenantOf = (caller: Pick<Caller, 'tenant'> | undefined): string => caller?.tenant || DEFAULT_TENANT;
