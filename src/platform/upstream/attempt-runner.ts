import { isBrokenCircuitError, isIsolatedCircuitError } from 'cockatiel';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { Agent, type Dispatcher, request } from 'undici';
import {
  activeTracer,
  contextWithSpan,
  endWithError,
  injectTraceHeaders,
  type Span,
  SpanKind,
  startSpan,
} from '../tracing';
import { AttemptFailure } from './attempt-failure';
import { guardBody } from './guarded-body';
import type { InstanceHealth } from './instance-health';
import type { BreakerVerdict } from './sliding-window-breaker';
import type { UpstreamInstance } from './upstream-instance';
import type { UpstreamInstanceSet } from './upstream-instance-set';
import { UpstreamResponse } from './upstream-response';
import { UpstreamBadResponseError, UpstreamCallAbortedError, UpstreamTimeoutError } from './upstream.errors';
import type { UpstreamMetricsSink } from './upstream.metrics';
import type { ResolvedPoolOptions, UpstreamRequest } from './upstream.types';

/** fetch failures that mean the request never reached the instance, so any call may fail over. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'string') return e.code;
  return typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
}

/**
 * One HTTP attempt on one instance: the pool's connections (an undici Agent with the connect
 * timeout), the first-byte and total timeouts, the caller's abort, the instance's bulkhead slot
 * and circuit breaker, and what a failed attempt means (an {@link AttemptFailure} that says
 * whether the request may have reached the instance).
 */
export class AttemptRunner {
  private readonly agent: Agent;

  constructor(
    private readonly poolName: string,
    private readonly options: ResolvedPoolOptions,
    private readonly instances: UpstreamInstanceSet,
    private readonly health: InstanceHealth,
    private readonly metrics: UpstreamMetricsSink,
  ) {
    // undici's own request() rather than fetch(): its body is a Node stream, where fetch's web
    // streams cost several promises per chunk (bench:llm:cpu); an Agent bounds connect time.
    this.agent = new Agent({
      connect: { timeout: options.timeouts.connectMs },
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  /**
   * Sends `req` to `instance`; resolves once response headers arrive with a non-failure status.
   *
   * @throws AttemptFailure the instance failed this attempt
   * @throws UpstreamCallAbortedError the caller's signal fired
   */
  async attempt(
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
      () =>
        controller.abort(new UpstreamTimeoutError(`Upstream "${this.poolName}" did not answer in time`, 'first_byte')),
      timeouts.firstByteMs,
    );
    const totalTimer = setTimeout(
      () => controller.abort(new UpstreamTimeoutError(`Upstream "${this.poolName}" did not finish in time`, 'total')),
      timeouts.totalMs,
    );
    const limit = this.options.maxConcurrentPerInstance;
    const url = instance.resolve(req.path);
    // The attempt's client span (tracing on): from sending until the body is read or the attempt fails.
    const span = activeTracer() === undefined ? undefined : this.clientSpan(instance, url, method, attemptNo);
    let released = false;
    const release = (err?: unknown) => {
      if (released) return;
      released = true;
      clearTimeout(firstByteTimer);
      clearTimeout(totalTimer);
      req.signal?.removeEventListener('abort', onCallerAbort);
      instance.outstanding--;
      this.metrics.outstanding(this.poolName, instance.id, instance.outstanding, limit);
      if (span === undefined) return;
      if (err === undefined) span.end();
      else endWithError(span, err);
    };

    instance.outstanding++;
    this.metrics.outstanding(this.poolName, instance.id, instance.outstanding, limit);
    this.metrics.request(this.poolName, instance.id);
    const started = performance.now();
    let response: Dispatcher.ResponseData | undefined;
    try {
      const verdict = await instance.breaker.execute(async (): Promise<BreakerVerdict> => {
        response = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers: headersFor(req, span),
          body: bodyFor(req.body),
          signal: controller.signal,
          dispatcher: this.agent,
        });
        return {
          failed: this.options.retry.retryableStatuses.includes(response.statusCode),
          slow: performance.now() - started > this.options.breaker.slowCallMs,
        };
      });
      clearTimeout(firstByteTimer);
      this.metrics.latency(this.poolName, instance.id, (performance.now() - started) / 1000);
      const res = response!;
      span?.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (verdict.failed) {
        res.body.on('error', () => undefined).destroy();
        const error = new UpstreamBadResponseError(
          `Upstream "${this.poolName}" answered with an error`,
          res.statusCode,
        );
        release(error);
        this.health.recordFailure(instance, 'status_5xx');
        throw new AttemptFailure(error, true);
      }
      this.health.recordSuccess(instance);
      const errorOf = guardBody(res.body, {
        poolName: this.poolName,
        signal: controller.signal,
        release,
        recordFailure: (reason) => this.health.recordFailure(instance, reason),
      });
      return new UpstreamResponse(res.statusCode, headersOf(res.headers), instance.id, attemptNo, res.body, errorOf);
    } catch (err) {
      if (err instanceof AttemptFailure) throw err;
      const failure = this.classify(err, controller.signal, instance);
      release(failure instanceof AttemptFailure ? failure.error : failure);
      throw failure;
    }
  }

  private clientSpan(instance: UpstreamInstance, u: URL, method: string, attemptNo: number): Span | undefined {
    return startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_SERVER_ADDRESS]: u.hostname,
        [ATTR_SERVER_PORT]: Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
        // Origin and path only: a query string may carry a credential.
        [ATTR_URL_FULL]: u.origin + u.pathname,
        ...(attemptNo > 1 && { [ATTR_HTTP_REQUEST_RESEND_COUNT]: attemptNo - 1 }),
        'fennec.upstream.pool': this.poolName,
        'fennec.upstream.instance': instance.id,
        'fennec.upstream.attempt': attemptNo,
        'fennec.upstream.breaker_state': instance.breakerState,
        'fennec.upstream.outstanding': instance.outstanding,
      },
    });
  }

  /** Closes idle connections and aborts open ones. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }

  private classify(err: unknown, signal: AbortSignal, instance: UpstreamInstance): Error {
    if (isBrokenCircuitError(err) || isIsolatedCircuitError(err)) {
      this.metrics.error(this.poolName, instance.id, 'rejected');
      return new AttemptFailure(this.instances.unavailable('has its circuit open'), false);
    }
    const reason: unknown = signal.aborted ? signal.reason : undefined;
    if (reason instanceof UpstreamCallAbortedError) return reason;
    if (reason instanceof UpstreamTimeoutError) {
      this.health.recordFailure(instance, 'timeout');
      return new AttemptFailure(reason, true);
    }
    const code = causeCode(err);
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      this.health.recordFailure(instance, 'connect');
      return new AttemptFailure(
        new UpstreamTimeoutError(`Upstream "${this.poolName}" did not accept the connection in time`, 'connect'),
        false,
      );
    }
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      this.health.recordFailure(instance, 'connect');
      return new AttemptFailure(this.instances.unavailable('could not be reached'), false);
    }
    this.health.recordFailure(instance, 'network');
    return new AttemptFailure(
      new UpstreamBadResponseError(`Upstream "${this.poolName}" closed the connection`, undefined, { cause: err }),
      true,
    );
  }
}

function headersFor(req: UpstreamRequest, span: Span | undefined): Record<string, string> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.requestId !== undefined) headers['x-request-id'] = req.requestId;
  // W3C trace context of this attempt's client span, so the upstream's spans join the trace.
  if (span !== undefined) injectTraceHeaders(headers, contextWithSpan(span));
  const body = req.body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    headers['content-type'] ??= 'application/json';
  }
  return headers;
}

function headersOf(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

function bodyFor(body: unknown): string | Uint8Array | undefined {
  if (body === undefined || typeof body === 'string' || body instanceof Uint8Array) return body;
  return JSON.stringify(body);
}
