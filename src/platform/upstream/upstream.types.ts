/** One configured instance of an upstream. */
export interface UpstreamInstanceConfig {
  /** Base URL, e.g. `http://10.0.0.5:11434`. Request paths are resolved against it. */
  url: string;
  /** Relative share of traffic for weighted strategies. Default 1. */
  weight?: number;
  /** Stable name used in metrics and `/upstreams`; default `host:port`. */
  id?: string;
}

export const UPSTREAM_STRATEGIES = [
  'round-robin',
  'weighted-round-robin',
  'least-outstanding',
  'random',
  'consistent-hash',
  'health-preference',
] as const;
export type UpstreamStrategyName = (typeof UPSTREAM_STRATEGIES)[number];

export interface UpstreamTimeouts {
  /** TCP connect (undici Agent `connect.timeout`; per pool, not per request). */
  connectMs: number;
  /** From sending the request until the response headers arrive. */
  firstByteMs: number;
  /** From sending the request until the body has been read to the end. */
  totalMs: number;
}

/** Per-instance circuit breaker (count-based sliding window, as resilience4j's COUNT_BASED). */
export interface BreakerOptions {
  /** How many most recent calls the rates are computed over. */
  windowSize: number;
  /** The breaker never opens before this many calls are in the window. */
  minimumCalls: number;
  /** Open when this share (0..1) of the window failed. */
  failureRateThreshold: number;
  /** Open when this share (0..1) of the window was slower than `slowCallMs`. */
  slowCallRateThreshold: number;
  /** A call whose headers take longer than this counts as slow. */
  slowCallMs: number;
  /** How long the breaker stays OPEN before one HALF_OPEN trial call is let through. */
  openWaitMs: number;
}

/** Envoy-style outlier detection on consecutive failures. */
export interface OutlierOptions {
  consecutiveFailures: number;
  /** First ejection lasts this long; the n-th one n times as long, up to `maxEjectionMs`. */
  baseEjectionMs: number;
  maxEjectionMs: number;
  /** Never eject more than this share (0..1) of the pool's instances at once. */
  maxEjectionShare: number;
}

/** Failover of failed calls onto other instances. */
export interface RetryOptions {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** Full-jitter exponential backoff: delay = random(0, min(maxDelayMs, baseDelayMs·2^(n-1))). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** No new attempt starts after this long since the call began. */
  deadlineMs: number;
  /** Statuses that count as an instance failure and may be retried. Default 500, 502, 503, 504. */
  retryableStatuses: number[];
}

/** Everything that shapes a pool; all but `instances` have defaults. */
export interface UpstreamPoolOptions {
  instances: UpstreamInstanceConfig[];
  strategy?: UpstreamStrategyName;
  timeouts?: Partial<UpstreamTimeouts>;
  breaker?: Partial<BreakerOptions>;
  outlier?: Partial<OutlierOptions>;
  retry?: Partial<RetryOptions>;
  /** Bulkhead: calls in flight per instance (headers and body). Default 64. */
  maxConcurrentPerInstance?: number;
  /** Virtual nodes per unit of weight on the consistent-hash ring. Default 160. */
  virtualNodes?: number;
}

export interface ResolvedPoolOptions {
  strategy: UpstreamStrategyName;
  timeouts: UpstreamTimeouts;
  breaker: BreakerOptions;
  outlier: OutlierOptions;
  retry: RetryOptions;
  maxConcurrentPerInstance: number;
  virtualNodes: number;
}

/** One call through a pool. */
export interface UpstreamRequest {
  /** Default GET. */
  method?: string;
  /** Path (and query) resolved against the instance's base URL, e.g. `/api/generate`. */
  path: string;
  headers?: Record<string, string>;
  /** A string or bytes are sent as-is; anything else as JSON. */
  body?: unknown;
  /**
   * Safe to send again to another instance? Default true for GET/HEAD/OPTIONS, false otherwise.
   * A non-idempotent call only fails over when it never reached an instance (connect refused, circuit open).
   */
  idempotent?: boolean;
  /** The caller's cancellation (e.g. its client disconnected): aborts the upstream call at once. */
  signal?: AbortSignal;
  /** Sent as `x-request-id`. */
  requestId?: string;
  /** Per-call overrides of first-byte and total timeouts (connect is per pool). */
  timeouts?: Partial<Pick<UpstreamTimeouts, 'firstByteMs' | 'totalMs'>>;
  /** Affinity key for the consistent-hash strategy (e.g. a session or model id). */
  hashKey?: string;
  /**
   * Pins the call to this instance (by id), bypassing the strategy: for follow-up calls about
   * work an instance holds (a queued ComfyUI prompt is known only to the server that accepted it).
   * No failover to another instance; UPSTREAM.UNAVAILABLE when the instance is unknown or cannot
   * take calls (ejected, circuit open, bulkhead full).
   */
  instanceId?: string;
}
