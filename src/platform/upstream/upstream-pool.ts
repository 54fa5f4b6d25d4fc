import { Logger } from '@nestjs/common';
import { AttemptRunner } from './attempt-runner';
import { InstanceHealth } from './instance-health';
import type { RandomSource } from './strategies/balancer';
import { resolvePoolOptions } from './upstream-defaults';
import { UpstreamFailover } from './upstream-failover';
import { UpstreamInstanceSet } from './upstream-instance-set';
import { UpstreamReservation } from './upstream-reservation';
import type { UpstreamResponse } from './upstream-response';
import type { UpstreamPoolSnapshot } from './upstream-snapshot';
import { NO_UPSTREAM_METRICS, type UpstreamMetricsSink } from './upstream.metrics';
import type {
  ResolvedPoolOptions,
  UpstreamInstanceConfig,
  UpstreamPoolOptions,
  UpstreamRequest,
} from './upstream.types';

/** Extra collaborators, mostly for tests. */
export interface UpstreamPoolDeps {
  metrics?: UpstreamMetricsSink;
  random?: RandomSource;
}

/**
 * A load-balanced, circuit-broken pool of instances of one upstream. Create pools through
 * `UpstreamPools.create(name, options)` so they are measured, shown in `/upstreams` and closed on
 * shutdown.
 *
 * ```ts
 * const res = await pool.request({ method: 'POST', path: '/api/chat', body, idempotent: true,
 *   signal, requestId });
 * for await (const part of res.ndjson<ChatChunk>()) ...
 * ```
 *
 * Failover happens only before the response headers: once `request()` resolved, the body comes
 * from that one instance.
 *
 * Health is passive (circuit breaker and outlier ejection over real calls) and, when a health
 * checker reports through {@link reportProbe}, active as well.
 *
 * The pool wires its parts together: {@link UpstreamInstanceSet} (instances, picking, snapshot),
 * {@link InstanceHealth} (call outcomes, ejection, probes), {@link AttemptRunner} (one HTTP
 * attempt) and {@link UpstreamFailover} (the retry loop).
 */
export class UpstreamPool {
  readonly options: ResolvedPoolOptions;
  private readonly instances: UpstreamInstanceSet;
  private readonly health: InstanceHealth;
  private readonly attempts: AttemptRunner;
  private readonly failover: UpstreamFailover;
  private readonly releaseListeners = new Set<() => void>();

  constructor(
    readonly name: string,
    options: UpstreamPoolOptions,
    deps: UpstreamPoolDeps = {},
  ) {
    this.options = resolvePoolOptions(options);
    const metrics = deps.metrics ?? NO_UPSTREAM_METRICS;
    const logger = new Logger(`upstream:${name}`);
    this.instances = new UpstreamInstanceSet(name, this.options, metrics, logger, deps.random);
    this.health = new InstanceHealth(name, this.options, this.instances, metrics, logger);
    this.attempts = new AttemptRunner(name, this.options, this.instances, this.health, metrics);
    this.failover = new UpstreamFailover(
      name,
      this.options,
      this.instances,
      this.attempts,
      metrics,
      deps.random ?? Math.random,
    );
    this.setInstances(options.instances);
  }

  /** Instance ids in configured order. */
  get instanceIds(): string[] {
    return this.instances.all.map((i) => i.id);
  }

  /** Adds an instance at runtime (runtime config calls this). Replaces one with the same id. */
  addInstance(config: UpstreamInstanceConfig): void {
    this.instances.add(config);
  }

  /** Removes an instance at runtime; calls already in flight there finish normally. */
  removeInstance(id: string): boolean {
    return this.instances.remove(id);
  }

  /** Replaces the instance list, keeping the state (breaker, ejections) of instances that stay. */
  setInstances(configs: UpstreamInstanceConfig[]): void {
    this.instances.set(configs);
  }

  /**
   * Records an external health checker's active-probe result for one instance (Envoy's active
   * health checking; the checker decides what a probe is). An instance whose last probe failed is
   * not "up" in {@link snapshot} and health, and gets no calls while another instance that real
   * traffic has not ruled out is up; when none is, calls go to it anyway (panic mode).
   *
   * @returns false when the pool has no such instance (e.g. it was removed while the probe ran)
   */
  reportProbe(instanceId: string, healthy: boolean, detail?: string): boolean {
    return this.health.reportProbe(instanceId, healthy, detail);
  }

  /**
   * Sends one call to an instance chosen by the strategy, failing over to other instances (for
   * idempotent calls, or calls that never reached an instance) with jittered exponential
   * backoff until `retry.maxAttempts` or `retry.deadlineMs`. Resolves once response headers
   * arrive with a non-failure status (4xx is the caller's business and is returned).
   *
   * @throws UpstreamUnavailableError no instance could take the call
   * @throws UpstreamTimeoutError connect / first byte timed out on the last attempt
   * @throws UpstreamBadResponseError 5xx or broken connection on the last attempt
   * @throws UpstreamCallAbortedError `signal` fired
   */
  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    return this.failover.request(req);
  }

  /**
   * Reserves one bulkhead slot of the instance the strategy picks among those that could take a
   * call now, or undefined when none has a free slot. For upstreams that run one job at a time
   * (`maxConcurrentPerInstance: 1`): the job's calls go through the reservation, pinned to that
   * instance, and nothing else is balanced onto it until `release()`.
   *
   * ```ts
   * const slot = pool.reserve();
   * if (slot) try { await slot.request({ method: 'POST', path: '/run', body }) } finally { slot.release() }
   * ```
   */
  reserve(options: { hashKey?: string } = {}): UpstreamReservation | undefined {
    const instance = this.instances.reserve(options.hashKey);
    if (instance === undefined) return undefined;
    return new UpstreamReservation(
      instance,
      (req) => this.request(req),
      () => {
        for (const listener of [...this.releaseListeners]) listener();
      },
    );
  }

  /** Called after every reservation release (a slot may be free again). Returns the unsubscribe function. */
  onRelease(listener: () => void): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /** Instances up / total and per-instance state. */
  snapshot(): UpstreamPoolSnapshot {
    return this.instances.snapshot();
  }

  /** Closes idle connections and aborts open ones. */
  async close(): Promise<void> {
    await this.attempts.close();
  }
}
