import { setTimeout as sleep } from 'node:timers/promises';
import type { FennecError } from '../errors/fennec-error';
import { activeTracer, type Span, SpanKind, withSpan } from '../tracing';
import { AttemptFailure } from './attempt-failure';
import type { AttemptRunner } from './attempt-runner';
import type { RandomSource } from './strategies/balancer';
import type { UpstreamInstance } from './upstream-instance';
import type { UpstreamInstanceSet } from './upstream-instance-set';
import type { UpstreamResponse } from './upstream-response';
import { UpstreamCallAbortedError } from './upstream.errors';
import type { UpstreamMetricsSink } from './upstream.metrics';
import type { ResolvedPoolOptions, UpstreamRequest } from './upstream.types';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The failover loop behind `UpstreamPool.request`: picks an instance per attempt, fails over to
 * another one (for idempotent calls, or calls that never reached an instance) with full-jitter
 * exponential backoff, and stops at `retry.maxAttempts`, the `retry.deadlineMs` or the caller's
 * abort.
 */
export class UpstreamFailover {
  constructor(
    private readonly poolName: string,
    private readonly options: ResolvedPoolOptions,
    private readonly instances: UpstreamInstanceSet,
    private readonly attempts: AttemptRunner,
    private readonly metrics: UpstreamMetricsSink,
    private readonly random: RandomSource,
  ) {}

  /** With tracing on, the call is one `upstream {pool}` span; each attempt is a client span inside it. */
  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    if (activeTracer() === undefined) return this.run(req, undefined);
    return withSpan(
      `upstream ${this.poolName}`,
      { kind: SpanKind.INTERNAL, attributes: { 'fennec.upstream.pool': this.poolName } },
      (span) => this.run(req, span),
    );
  }

  private async run(req: UpstreamRequest, span: Span | undefined): Promise<UpstreamResponse> {
    const method = (req.method ?? 'GET').toUpperCase();
    const idempotent = req.idempotent ?? SAFE_METHODS.has(method);
    const { maxAttempts, deadlineMs } = this.options.retry;
    const deadline = Date.now() + deadlineMs;
    const tried = new Set<UpstreamInstance>();
    let last: FennecError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (req.signal?.aborted) throw new UpstreamCallAbortedError(req.signal.reason);
      const instance =
        req.instance === undefined ? this.instances.pick(tried, req.hashKey) : this.instances.pinned(req.instance);
      if (instance === undefined) {
        last = this.instances.unavailable(
          req.instance !== undefined
            ? `has no instance ${JSON.stringify(req.instance)} taking calls`
            : tried.size === 0
              ? 'has no instance available'
              : 'has no other instance available',
        );
        break;
      }
      tried.add(instance);
      span?.setAttribute('fennec.upstream.attempts', attempt);
      try {
        return await this.attempts.attempt(instance, req, method, attempt);
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        last = err.error;
        if (err.sent && !idempotent) break;
      }
      if (attempt === maxAttempts) break;
      const cap = Math.min(this.options.retry.maxDelayMs, this.options.retry.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.floor(this.random() * cap);
      if (Date.now() + delay >= deadline) break;
      this.metrics.retry(this.poolName);
      span?.addEvent('retry', { 'fennec.upstream.attempt': attempt + 1, 'fennec.upstream.backoff_ms': delay });
      try {
        await sleep(delay, undefined, { signal: req.signal });
      } catch {
        throw new UpstreamCallAbortedError(req.signal?.reason);
      }
    }
    throw last ?? this.instances.unavailable('has no instance available');
  }
}
