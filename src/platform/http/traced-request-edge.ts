import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import { attachContext, RequestContext, runInContextAndTrace } from '../context/request-context';
import { logCompletion } from '../logging/request-logging';
import { assignRequestId } from '../logging/request-id';
import { routeTemplate } from '../metrics/route-template';
import {
  activeTracer,
  contextWithSpan,
  extractContext,
  ROOT_CONTEXT,
  runInSpan,
  SpanKind,
  SpanStatusCode,
} from '../tracing';
import type { RequestEdgeOptions } from './request-edge-options';

const CLIENT_CLOSED = 499;

type Req = IncomingMessage & { id?: string; caller?: { id: string; tenant: string; roles: readonly string[] } };

/**
 * The request edge with OpenTelemetry on: everything `requestEdge` does, inside the request's
 * HTTP server span. An incoming `traceparent` / `tracestate` continues its trace; the span is named
 * `{method} {route template}` once the route is known, and carries the status, the caller's tenant
 * and the request id, never the query string, headers or body. The completion line is written
 * inside the span, so it carries `trace_id` / `span_id` like every other line of the request.
 */
export function tracedRequestEdge(
  { root, logCompletions, metrics, inFlight }: RequestEdgeOptions,
  untraced: (req: Req, res: ServerResponse, next: () => void) => void,
) {
  return (req: Req, res: ServerResponse, next: () => void): void => {
    const tracer = activeTracer();
    // Tracing already stopped (the app is shutting down): serve the request untraced.
    if (tracer === undefined) return untraced(req, res, next);
    const started = performance.now();
    inFlight.enter();
    const id = assignRequestId(req, res);
    req.id = id;
    const ctx = new RequestContext(id, root);
    attachContext(req, ctx);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const parent =
      // Without trace headers there is nothing to continue: skip the propagators' parsing.
      req.headers.traceparent === undefined && req.headers.baggage === undefined
        ? ROOT_CONTEXT
        : extractContext(req.headers);
    // The attributes are set once the sampler has said to record: building and sanitising them
    // is wasted on the requests not sampled. The samplers Fennec configures (always on/off, trace
    // id ratio, parent-based) decide on the trace id and parent alone, so this changes no decision.
    const span = tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      span.setAttributes({
        [ATTR_HTTP_REQUEST_METHOD]: method,
        [ATTR_URL_PATH]: q === -1 ? url : url.slice(0, q),
        [ATTR_URL_SCHEME]: 'http',
        'fennec.request_id': id,
      });
    }
    res.once('close', () => {
      inFlight.leave();
      const ms = performance.now() - started;
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
      const route = routeTemplate(req as Request);
      metrics.observeHttpRequest(method, route, status, ms / 1000, span);
      if (span.isRecording()) {
        span.updateName(`${method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        if (req.caller) span.setAttribute('fennec.tenant', req.caller.tenant);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (logCompletions) {
        // Only a sampled request's lines carry trace fields (traceLogFields), so only it needs the span active.
        if (span.isRecording()) runInSpan(span, () => logCompletion(root, id, req, res, ms));
        else logCompletion(root, id, req, res, ms);
      }
      span.end();
    });
    // One entry into the one AsyncLocalStorage for both the request context and the span.
    runInContextAndTrace(ctx, contextWithSpan(span, parent), next);
  };
}
