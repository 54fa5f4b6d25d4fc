import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import { attachContext, runInContext, RequestContext } from '../context/request-context';
import { logCompletion } from '../logging/request-logging';
import { assignRequestId } from '../logging/request-id';
import { routeTemplate } from '../metrics/route-template';
import type { RequestEdgeOptions } from './request-edge-options';
import { tracedRequestEdge } from './traced-request-edge';

/** nginx's convention for "client closed the connection before the answer was complete". */
const CLIENT_CLOSED = 499;

export type { RequestEdgeOptions } from './request-edge-options';

type Req = IncomingMessage & { id?: string };

/**
 * The first thing every request meets, mounted with `app.use` ahead of everything else:
 * - adopts or creates the request id (echoed as `x-request-id`);
 * - enters the request's {@link RequestContext} (request id, lazily built logger, caller), so
 *   every later step, error and log line of the request can reach it;
 * - counts the request as in flight until then (an input of the adaptive rate limits);
 * - when the response completes or the client goes away, records the RED metrics (route
 *   template, status, duration; 499 for an abandoned request) and writes the completion line.
 *
 * One plain function with one `close` listener rather than a chain of Nest middleware (logger
 * binding, metrics, each with its own listeners and route matching): every layer on this path is
 * paid by every request, and this is the path `npm run bench:http` measures. Metrics are taken
 * here rather than in an interceptor on purpose: interceptors run after guards, so they would
 * never see a 401, a 429 or a 404 for an unknown route, which are the answers operators count.
 */
export function requestEdge(options: RequestEdgeOptions) {
  // Chosen once here, so with tracing off no request pays even a check for it.
  if (options.tracing) return tracedRequestEdge(options, plainRequestEdge(options));
  return plainRequestEdge(options);
}

function plainRequestEdge({ root, logCompletions, metrics, inFlight }: RequestEdgeOptions) {
  return (req: Req, res: ServerResponse, next: () => void): void => {
    const started = performance.now();
    inFlight.enter();
    const id = assignRequestId(req, res);
    req.id = id;
    const ctx = new RequestContext(id, root);
    attachContext(req, ctx);
    res.once('close', () => {
      inFlight.leave();
      const ms = performance.now() - started;
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
      metrics.observeHttpRequest(req.method ?? 'GET', routeTemplate(req as Request), status, ms / 1000);
      if (logCompletions) logCompletion(root, id, req, res, ms);
    });
    runInContext(ctx, next);
  };
}
