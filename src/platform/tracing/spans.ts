import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions';
import { activeTracer } from './tracing-runtime';

export { ROOT_CONTEXT, SpanKind, SpanStatusCode };
export type { Attributes, Context, Span };

/** Options of {@link withSpan}. */
export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Parent context; default: the active one. */
  parent?: Context;
}

/**
 * Runs `fn` inside a new span that ends when `fn` returns or its promise settles (a throw or
 * rejection marks it as an error). With tracing off it is `fn(undefined)` and nothing else.
 *
 * ```ts
 * await withSpan('registry.start rag', { attributes: { 'fennec.service': 'rag' } }, () => start());
 * ```
 */
export function withSpan<T>(name: string, options: SpanOptions, fn: (span: Span | undefined) => T): T {
  const tracer = activeTracer();
  if (tracer === undefined) return fn(undefined);
  const parent = options.parent ?? context.active();
  const span = tracer.startSpan(name, { kind: options.kind, attributes: options.attributes }, parent);
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (err) {
    endWithError(span, err);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (v) => {
        span.end();
        return v;
      },
      (err: unknown) => {
        endWithError(span, err);
        throw err;
      },
    ) as T;
  }
  span.end();
  return result;
}

/** Starts a span the caller ends (a stream, a connection); undefined with tracing off. */
export function startSpan(name: string, options: SpanOptions = {}): Span | undefined {
  const tracer = activeTracer();
  if (tracer === undefined) return undefined;
  return tracer.startSpan(
    name,
    { kind: options.kind, attributes: options.attributes },
    options.parent ?? context.active(),
  );
}

/** Runs `fn` with `span` as the active span (no-op wrapper when `span` is undefined). */
export function runInSpan<T>(span: Span | undefined, fn: () => T): T {
  if (span === undefined) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** `parent` (default: the active context) with `span` as its span (to inject or enter a span that is not active). */
export function contextWithSpan(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

/** Marks `span` failed with `err` (exception event, `error.type`) and ends it. */
export function endWithError(span: Span, err: unknown): void {
  if (span.isRecording()) {
    const error = err instanceof Error ? err : new Error(String(err));
    span.recordException(error);
    span.setAttribute(ATTR_ERROR_TYPE, (error as { code?: unknown }).code?.toString() ?? error.name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  }
  span.end();
}

/** The active span, if tracing is on and one is active. */
export function activeSpan(): Span | undefined {
  if (activeTracer() === undefined) return undefined;
  return trace.getSpan(context.active());
}

/**
 * The W3C `traceparent` of the active context (to store with work that runs later, e.g. a job);
 * undefined with tracing off or outside any trace.
 */
export function currentTraceparent(): string | undefined {
  if (activeTracer() === undefined) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Adds the active context's `traceparent` / `tracestate` to outgoing `headers` (no-op when off). */
export function injectTraceHeaders(headers: Record<string, string>, ctx?: Context): void {
  if (activeTracer() === undefined) return;
  propagation.inject(ctx ?? context.active(), headers);
}

/** The context an incoming carrier (HTTP headers, a stored `{ traceparent }`) continues. */
export function extractContext(carrier: Record<string, string | string[] | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/**
 * `trace_id` / `span_id` of the active span for a log line; undefined outside a trace and in a
 * trace that is not sampled (its spans are never exported, so the ids would point at nothing, and
 * leaving them out spares most lines the work: the log mixin runs for every line).
 */
export function traceLogFields(): { trace_id: string; span_id: string; trace_flags: string } | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  if ((sc.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: '01' };
}
