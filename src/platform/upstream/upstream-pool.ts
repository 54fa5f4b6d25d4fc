import { Logger } from '@nestjs/common';
import { isBrokenCircuitError, isIsolatedCircuitError } from 'cockatiel';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import type { FennecError } from '../errors/fennec-error';
import { OutlierDetector } from './outlier-detector';
import type { BreakerVerdict } from './sliding-window-breaker';
import type { Balancer, RandomSource } from './strategies/balancer';
import { createBalancer } from './strategies/create-balancer';
import { instanceIdOf, UpstreamInstance } from './upstream-instance';
import { UpstreamResponse } from './upstream-response';
import { resolvePoolOptions } from './upstream-defaults';
import { instanceSnapshot, type UpstreamPoolSnapshot } from './upstream-snapshot';
import {
  UpstreamBadResponseError,
  UpstreamCallAbortedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './upstream.errors';
import { NO_UPSTREAM_METRICS, type UpstreamMetricsSink } from './upstream.metrics';
import type {
  ResolvedPoolOptions,
  UpstreamInstanceConfig,
  UpstreamPoolOptions,
  UpstreamRequest,
} from './upstream.types';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** fetch failures that mean the request never reached the instance, so any call may fail over. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** One failed attempt: the error to show, and whether the request may have reached the instance. */
class AttemptFailure extends Error {
  constructor(
    readonly error: FennecError,
    readonly sent: boolean,
  ) {
    super(error.message);
  }
}

/** Extra collaborators, mostly for tests. */
export interface UpstreamPoolDeps {
  metrics?: UpstreamMetricsSink;
  random?: RandomSource;
}

function causeCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
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
 */
export class UpstreamPool {
  readonly options: ResolvedPoolOptions;
  private instances: UpstreamInstance[] = [];
  private readonly balancer: Balancer;
  private readonly outlier: OutlierDetector;
  private readonly agent: Agent;
  private readonly metrics: UpstreamMetricsSink;
  private readonly random: RandomSource;
  private readonly logger: Logger;
  private panicking = false;

  constructor(
    readonly name: string,
    options: UpstreamPoolOptions,
    deps: UpstreamPoolDeps = {},
  ) {
    this.options = resolvePoolOptions(options);
    this.metrics = deps.metrics ?? NO_UPSTREAM_METRICS;
    this.random = deps.random ?? Math.random;
    this.logger = new Logger(`upstream:${name}`);
    this.balancer = createBalancer(this.options.strategy, this.options.virtualNodes, deps.random);
    this.outlier = new OutlierDetector(this.options.outlier);
    // Built-in fetch cannot bound connect time; an undici Agent as its dispatcher can. Node 20
    // bundles undici 6, the same major as the `undici` package used here.
    this.agent = new Agent({
      connect: { timeout: this.options.timeouts.connectMs },
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.setInstances(options.instances);
  }

  /** Instance ids in configured order. */
  get instanceIds(): string[] {
    return this.instances.map((i) => i.id);
  }

  /** Adds an instance at runtime (runtime config calls this). Replaces one with the same id. */
  addInstance(config: UpstreamInstanceConfig): void {
    const id = instanceIdOf(config);
    const existing = this.instances.find((i) => i.id === id);
    if (existing !== undefined && existing.url.href === new URL(config.url).href) {
      existing.weight = config.weight ?? 1;
    } else {
      this.instances = [...this.instances.filter((i) => i.id !== id), this.makeInstance(config)];
    }
    this.balancer.reset?.(this.instances);
  }

  /** Removes an instance at runtime; calls already in flight there finish normally. */
  removeInstance(id: string): boolean {
    const before = this.instances.length;
    this.instances = this.instances.filter((i) => i.id !== id);
    if (this.instances.length === before) return false;
    this.metrics.forget(this.name, id);
    this.balancer.reset?.(this.instances);
    return true;
  }

  /** Replaces the instance list, keeping the state (breaker, ejections) of instances that stay. */
  setInstances(configs: UpstreamInstanceConfig[]): void {
    const keep = new Set(configs.map(instanceIdOf));
    for (const i of this.instances) if (!keep.has(i.id)) this.removeInstance(i.id);
    for (const c of configs) this.addInstance(c);
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
    const instance = this.instances.find((i) => i.id === instanceId);
    if (instance === undefined) return false;
    const before = instance.probe.status;
    if (instance.probe.report(healthy, Date.now(), detail)) {
      this.metrics.probe(this.name, instance.id, instance.probe.status);
      if (!healthy) this.logger.warn({ instance: instance.id, reason: detail }, 'instance failed its active probe');
      else if (before === 'unhealthy') this.logger.log({ instance: instance.id }, 'instance passed its active probe');
    }
    return true;
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
    const method = (req.method ?? 'GET').toUpperCase();
    const idempotent = req.idempotent ?? SAFE_METHODS.has(method);
    const { maxAttempts, deadlineMs } = this.options.retry;
    const deadline = Date.now() + deadlineMs;
    const tried = new Set<UpstreamInstance>();
    let last: FennecError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (req.signal?.aborted) throw new UpstreamCallAbortedError(req.signal.reason);
      const instance = this.pick(tried, req.hashKey);
      if (instance === undefined) {
        last = this.unavailable(tried.size === 0 ? 'has no instance available' : 'has no other instance available');
        break;
      }
      tried.add(instance);
      try {
        return await this.attempt(instance, req, method, attempt);
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        last = err.error;
        if (err.sent && !idempotent) break;
      }
      if (attempt === maxAttempts) break;
      const cap = Math.min(this.options.retry.maxDelayMs, this.options.retry.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.floor(this.random() * cap);
      if (Date.now() + delay >= deadline) break;
      this.metrics.retry(this.name);
      try {
        await sleep(delay, undefined, { signal: req.signal });
      } catch {
        throw new UpstreamCallAbortedError(req.signal?.reason);
      }
    }
    throw last ?? this.unavailable('has no instance available');
  }

  /** Instances up / total and per-instance state. */
  snapshot(): UpstreamPoolSnapshot {
    const now = Date.now();
    const instances = this.instances.map((i) => instanceSnapshot(i, now));
    return {
      name: this.name,
      strategy: this.options.strategy,
      up: instances.filter((i) => i.up).length,
      total: instances.length,
      panic: this.inPanic(now),
      instances,
    };
  }

  /** Closes idle connections and aborts open ones. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }

  private makeInstance(config: UpstreamInstanceConfig): UpstreamInstance {
    const instance = new UpstreamInstance(config, this.options.breaker, (inst, state) => {
      this.metrics.breakerState(this.name, inst.id, state);
      if (state === 'open') this.logger.warn({ instance: inst.id }, 'circuit opened');
      else if (state === 'closed') this.logger.log({ instance: inst.id }, 'circuit closed');
    });
    this.metrics.breakerState(this.name, instance.id, 'closed');
    // A replaced instance (same id, new URL) starts unprobed: drop the old one's probe gauge.
    this.metrics.probe(this.name, instance.id, 'unknown');
    return instance;
  }

  /**
   * Chooses the instance for one attempt. Instances failing their active probe are skipped while
   * some instance is up; when none is, but some are held back only by their probe, the probes are
   * ignored: Envoy's panic mode (with its threshold at 100%). A probe can be wrong where real calls
   * work (a broken probe path, a checker timing out on a busy host); ignoring it costs at worst the
   * failure the call would get anyway, honouring it would fail every call locally. A full bulkhead
   * is load, not health, so it never causes panic.
   */
  private pick(tried: Set<UpstreamInstance>, hashKey?: string): UpstreamInstance | undefined {
    const now = Date.now();
    const max = this.options.maxConcurrentPerInstance;
    const panic = this.inPanic(now);
    this.notePanic(panic);
    const usable = (i: UpstreamInstance) => i.outstanding < max && (panic ? i.passivelyUp(now) : i.isUp(now));
    const chosen =
      this.balancer.pick(this.instances, (i) => !tried.has(i) && usable(i), hashKey) ??
      (tried.size > 0 ? this.balancer.pick(this.instances, usable, hashKey) : undefined);
    if (chosen?.probe.failing) this.metrics.panic(this.name);
    return chosen;
  }

  /** No instance is up, yet some are held back only by a failed active probe. */
  private inPanic(now: number): boolean {
    let heldByProbe = false;
    for (const i of this.instances) {
      if (i.isUp(now)) return false;
      if (i.passivelyUp(now)) heldByProbe = true;
    }
    return heldByProbe;
  }

  private notePanic(panic: boolean): void {
    if (panic === this.panicking) return;
    this.panicking = panic;
    if (panic) this.logger.warn('every usable instance failed its active probe: using them anyway (panic mode)');
    else this.logger.log('left panic mode: some instance is up again');
  }

  private unavailable(what: string): UpstreamUnavailableError {
    const now = Date.now();
    const soonest = Math.min(...this.instances.map((i) => i.availableAt(now)));
    const retryAfterSeconds = Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - now) / 1000)) : 1;
    return new UpstreamUnavailableError(`Upstream "${this.name}" ${what}`, { retryAfterSeconds });
  }

  private async attempt(
    instance: UpstreamInstance,
    req: UpstreamRequest,
    method: string,
    attemptNo: number,
  ): Promise<UpstreamResponse> {
    const controller = new AbortController();
    const timeouts = { ...this.options.timeouts, ...req.timeouts };
    const onCallerAbort = () => controller.abort(new UpstreamCallAbortedError(req.signal?.reason));
    req.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const firstByteTimer = setTimeout(
      () => controller.abort(new UpstreamTimeoutError(`Upstream "${this.name}" did not answer in time`, 'first_byte')),
      timeouts.firstByteMs,
    );
    const totalTimer = setTimeout(
      () => controller.abort(new UpstreamTimeoutError(`Upstream "${this.name}" did not finish in time`, 'total')),
      timeouts.totalMs,
    );
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(firstByteTimer);
      clearTimeout(totalTimer);
      req.signal?.removeEventListener('abort', onCallerAbort);
      instance.outstanding--;
      this.metrics.outstanding(this.name, instance.id, instance.outstanding);
    };

    instance.outstanding++;
    this.metrics.outstanding(this.name, instance.id, instance.outstanding);
    this.metrics.request(this.name, instance.id);
    const started = performance.now();
    let response: Response | undefined;
    try {
      const verdict = await instance.breaker.execute(async (): Promise<BreakerVerdict> => {
        response = await fetch(instance.resolve(req.path), {
          method,
          headers: this.headersFor(req),
          body: this.bodyFor(req.body),
          signal: controller.signal,
          redirect: 'manual',
          dispatcher: this.agent,
        });
        return {
          failed: this.options.retry.retryableStatuses.includes(response.status),
          slow: performance.now() - started > this.options.breaker.slowCallMs,
        };
      });
      clearTimeout(firstByteTimer);
      this.metrics.latency(this.name, instance.id, (performance.now() - started) / 1000);
      const res = response as Response;
      if (verdict.failed) {
        void res.body?.cancel().catch(() => undefined);
        release();
        this.recordFailure(instance, 'status_5xx');
        throw new AttemptFailure(
          new UpstreamBadResponseError(`Upstream "${this.name}" answered with an error`, res.status),
          true,
        );
      }
      this.recordSuccess(instance);
      return new UpstreamResponse(
        res.status,
        res.headers,
        instance.id,
        attemptNo,
        this.guardBody(res.body, controller, instance, release),
      );
    } catch (err) {
      if (err instanceof AttemptFailure) throw err;
      release();
      throw this.classify(err, controller.signal, instance);
    }
  }

  private classify(err: unknown, signal: AbortSignal, instance: UpstreamInstance): Error {
    if (isBrokenCircuitError(err) || isIsolatedCircuitError(err)) {
      this.metrics.error(this.name, instance.id, 'rejected');
      return new AttemptFailure(this.unavailable('has its circuit open'), false);
    }
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    if (reason instanceof UpstreamCallAbortedError) return reason;
    if (reason instanceof UpstreamTimeoutError) {
      this.recordFailure(instance, 'timeout');
      return new AttemptFailure(reason, true);
    }
    const code = causeCode(err);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      this.recordFailure(instance, 'connect');
      return new AttemptFailure(
        new UpstreamTimeoutError(`Upstream "${this.name}" did not accept the connection in time`, 'connect'),
        false,
      );
    }
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      this.recordFailure(instance, 'connect');
      return new AttemptFailure(this.unavailable('could not be reached'), false);
    }
    this.recordFailure(instance, 'network');
    return new AttemptFailure(
      new UpstreamBadResponseError(`Upstream "${this.name}" closed the connection`, undefined, { cause: err }),
      true,
    );
  }

  /** Wraps the body so that its end, error or cancel frees the slot and stops the timers. */
  private guardBody(
    body: ReadableStream<Uint8Array> | null,
    controller: AbortController,
    instance: UpstreamInstance,
    release: () => void,
  ): ReadableStream<Uint8Array> {
    if (body === null) {
      release();
      return new ReadableStream({ start: (c) => c.close() });
    }
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>(
      {
        pull: async (c) => {
          try {
            const { done, value } = await reader.read();
            if (done) {
              release();
              c.close();
            } else c.enqueue(value);
          } catch (err) {
            release();
            const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
            if (reason instanceof UpstreamCallAbortedError) return c.error(reason);
            this.recordFailure(instance, reason instanceof UpstreamTimeoutError ? 'timeout' : 'stream');
            c.error(
              reason instanceof UpstreamTimeoutError
                ? reason
                : new UpstreamBadResponseError(`Upstream "${this.name}" broke off its response`, undefined, {
                    cause: err,
                  }),
            );
          }
        },
        cancel: async (why) => {
          release();
          await reader.cancel(why).catch(() => undefined);
        },
      },
      { highWaterMark: 0 },
    );
  }

  private headersFor(req: UpstreamRequest): Record<string, string> {
    const headers: Record<string, string> = { ...req.headers };
    if (req.requestId !== undefined) headers['x-request-id'] = req.requestId;
    const body = req.body;
    if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      headers['content-type'] ??= 'application/json';
    }
    return headers;
  }

  private bodyFor(body: unknown): string | Uint8Array | undefined {
    if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) return body;
    return JSON.stringify(body);
  }

  private recordSuccess(instance: UpstreamInstance): void {
    instance.noteOutcome(false);
    this.outlier.success(instance.outlier);
    // A real answer outranks a failed probe until the next probe, as the LLM gateway's prober
    // already treats one ("a real call succeeded there: it is up"), so `/upstreams` and the
    // checker's own health never disagree, and a probe that fails where real calls work does not
    // keep a serving instance out. (Envoy keeps a failed active check authoritative until the next
    // check; here the next probe decides again just the same.)
    instance.probe.realSuccess();
  }

  private recordFailure(instance: UpstreamInstance, reason: string): void {
    this.metrics.error(this.name, instance.id, reason);
    instance.noteOutcome(true);
    const now = Date.now();
    const ejectedNow = this.instances.filter((i) => i.outlier.isEjected(now)).length;
    const ejectedFor = this.outlier.failure(instance.outlier, now, ejectedNow, this.instances.length);
    if (ejectedFor !== undefined) {
      this.metrics.ejection(this.name, instance.id);
      this.logger.warn(
        { instance: instance.id, ejectedForMs: ejectedFor },
        'instance ejected after consecutive failures',
      );
    }
  }
}
