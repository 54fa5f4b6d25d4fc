export * from './upstream-pool';
export * from './upstream-pools.service';
export * from './upstream-response';
export type { UpstreamInstanceSnapshot, UpstreamPoolSnapshot } from './upstream-snapshot';
export type { ProbeStatus } from './probe-state';
export * from './upstream.errors';
export * from './upstream.module';
export * from './upstream.types';
export { DEFAULT_POOL_OPTIONS } from './upstream-defaults';
