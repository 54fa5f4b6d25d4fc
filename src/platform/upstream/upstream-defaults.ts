import type { ResolvedPoolOptions, UpstreamPoolOptions } from './upstream.types';

/** Defaults for every pool; a pool's options override them field by field. */
export const DEFAULT_POOL_OPTIONS: ResolvedPoolOptions = {
  strategy: 'round-robin',
  timeouts: { connectMs: 2_000, firstByteMs: 30_000, totalMs: 300_000 },
  breaker: {
    windowSize: 50,
    minimumCalls: 10,
    failureRateThreshold: 0.5,
    slowCallRateThreshold: 0.8,
    slowCallMs: 10_000,
    openWaitMs: 10_000,
  },
  outlier: { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionShare: 0.5 },
  retry: {
    maxAttempts: 3,
    baseDelayMs: 50,
    maxDelayMs: 1_000,
    deadlineMs: 10_000,
    retryableStatuses: [500, 502, 503, 504],
  },
  maxConcurrentPerInstance: 64,
  virtualNodes: 160,
};

export function resolvePoolOptions(options: UpstreamPoolOptions, base = DEFAULT_POOL_OPTIONS): ResolvedPoolOptions {
  return {
    strategy: options.strategy ?? base.strategy,
    timeouts: { ...base.timeouts, ...options.timeouts },
    breaker: { ...base.breaker, ...options.breaker },
    outlier: { ...base.outlier, ...options.outlier },
    retry: { ...base.retry, ...options.retry },
    maxConcurrentPerInstance: options.maxConcurrentPerInstance ?? base.maxConcurrentPerInstance,
    virtualNodes: options.virtualNodes ?? base.virtualNodes,
  };
}
