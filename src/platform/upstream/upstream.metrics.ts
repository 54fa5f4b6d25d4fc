import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ProbeStatus } from './probe-state';
import type { BreakerStateName } from './upstream-instance';

const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const BREAKER_STATE_VALUE: Record<BreakerStateName, number> = { closed: 0, open: 1, half_open: 2, isolated: 3 };

/** What a pool reports; a no-op sink is used when a pool runs outside Nest (unit tests). */
export interface UpstreamMetricsSink {
  request(pool: string, instance: string): void;
  error(pool: string, instance: string, reason: string): void;
  latency(pool: string, instance: string, seconds: number): void;
  ejection(pool: string, instance: string): void;
  retry(pool: string): void;
  breakerState(pool: string, instance: string, state: BreakerStateName): void;
  /** Calls in flight on an instance, and its bulkhead (maxConcurrentPerInstance) when known. */
  outstanding(pool: string, instance: string, value: number, limit?: number): void;
  probe(pool: string, instance: string, status: ProbeStatus): void;
  /** One attempt sent to a probe-failing instance because no instance passed its probe. */
  panic(pool: string): void;
  forget(pool: string, instance: string): void;
}

export const NO_UPSTREAM_METRICS: UpstreamMetricsSink = {
  request: () => undefined,
  error: () => undefined,
  latency: () => undefined,
  ejection: () => undefined,
  retry: () => undefined,
  breakerState: () => undefined,
  outstanding: () => undefined,
  probe: () => undefined,
  panic: () => undefined,
  forget: () => undefined,
};

/** Prometheus metrics per pool and instance (instance = configured id or host:port). */
export class UpstreamMetrics implements UpstreamMetricsSink {
  private readonly requests: Counter<'pool' | 'instance'>;
  private readonly errors: Counter<'pool' | 'instance' | 'reason'>;
  private readonly duration: Histogram<'pool' | 'instance'>;
  private readonly ejections: Counter<'pool' | 'instance'>;
  private readonly retries: Counter<'pool'>;
  private readonly breaker: Gauge<'pool' | 'instance'>;
  private readonly inFlight: Gauge<'pool' | 'instance'>;
  private readonly bulkheadLimit: Gauge<'pool' | 'instance'>;
  private readonly probeHealthy: Gauge<'pool' | 'instance'>;
  private readonly panics: Counter<'pool'>;

  constructor(registry: Registry, name: (base: string) => string) {
    const registers = [registry];
    this.requests = new Counter({
      name: name('upstream_requests_total'),
      help: 'Calls sent to an upstream instance (each attempt counts)',
      labelNames: ['pool', 'instance'],
      registers,
    });
    this.errors = new Counter({
      name: name('upstream_errors_total'),
      help: 'Failed upstream attempts by reason (connect, timeout, status_5xx, stream, rejected)',
      labelNames: ['pool', 'instance', 'reason'],
      registers,
    });
    this.duration = new Histogram({
      name: name('upstream_request_duration_seconds'),
      help: 'Time from sending an upstream call to its response headers',
      labelNames: ['pool', 'instance'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.ejections = new Counter({
      name: name('upstream_ejections_total'),
      help: 'Outlier ejections of an upstream instance',
      labelNames: ['pool', 'instance'],
      registers,
    });
    this.retries = new Counter({
      name: name('upstream_retries_total'),
      help: 'Failover attempts on another instance after a failed attempt',
      labelNames: ['pool'],
      registers,
    });
    this.breaker = new Gauge({
      name: name('upstream_breaker_state'),
      help: 'Circuit breaker state per instance: 0 closed, 1 open, 2 half-open, 3 isolated',
      labelNames: ['pool', 'instance'],
      registers,
    });
    this.inFlight = new Gauge({
      name: name('upstream_outstanding_requests'),
      help: 'Upstream calls in flight per instance (until the body is read)',
      labelNames: ['pool', 'instance'],
      registers,
    });
    // With upstream_outstanding_requests, the saturation signal an autoscaler reads: in use / limit.
    this.bulkheadLimit = new Gauge({
      name: name('upstream_bulkhead_limit'),
      help: 'Calls an upstream instance may have in flight at once (its bulkhead, maxConcurrentPerInstance)',
      labelNames: ['pool', 'instance'],
      registers,
    });
    this.probeHealthy = new Gauge({
      name: name('upstream_probe_healthy'),
      help: 'Last active probe of an instance: 1 passed, 0 failed (absent until first probed)',
      labelNames: ['pool', 'instance'],
      registers,
    });
    this.panics = new Counter({
      name: name('upstream_panic_attempts_total'),
      help: 'Attempts sent to a probe-failing instance because no usable instance passed its probe (panic mode)',
      labelNames: ['pool'],
      registers,
    });
  }

  request(pool: string, instance: string): void {
    this.requests.inc({ pool, instance });
  }
  error(pool: string, instance: string, reason: string): void {
    this.errors.inc({ pool, instance, reason });
  }
  latency(pool: string, instance: string, seconds: number): void {
    this.duration.observe({ pool, instance }, seconds);
  }
  ejection(pool: string, instance: string): void {
    this.ejections.inc({ pool, instance });
  }
  retry(pool: string): void {
    this.retries.inc({ pool });
  }
  breakerState(pool: string, instance: string, state: BreakerStateName): void {
    this.breaker.set({ pool, instance }, BREAKER_STATE_VALUE[state]);
  }
  outstanding(pool: string, instance: string, value: number, limit?: number): void {
    this.inFlight.set({ pool, instance }, value);
    if (limit !== undefined) this.bulkheadLimit.set({ pool, instance }, limit);
  }
  probe(pool: string, instance: string, status: ProbeStatus): void {
    if (status === 'unknown') this.probeHealthy.remove({ pool, instance });
    else this.probeHealthy.set({ pool, instance }, status === 'healthy' ? 1 : 0);
  }
  panic(pool: string): void {
    this.panics.inc({ pool });
  }
  forget(pool: string, instance: string): void {
    this.breaker.remove({ pool, instance });
    this.inFlight.remove({ pool, instance });
    this.bulkheadLimit.remove({ pool, instance });
    this.probeHealthy.remove({ pool, instance });
  }
}
