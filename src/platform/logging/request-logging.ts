import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { redactUrl } from './redaction';

type Req = IncomingMessage & { originalUrl?: string; caller?: Caller };
type Res = ServerResponse & { err?: Error };
interface Caller {
  id: string;
  tenant: string;
  roles: readonly string[];
}

/**
 * The one line written per request when its response completes or the client goes away
 * (called by the request edge): method, redacted URL, status, duration, caller and tenant, and
 * the error the exception filter attached, at info / warn (4xx, aborted) / error (5xx).
 *
 * Written on the root logger with the request id as a field rather than through a per-request
 * child logger: a child costs a bindings serialisation per request, and this line is written
 * for every request. (Hand-written rather than pino-http: pino-http's per-request work cost
 * ≈ 75 µs of CPU per request here; bench/http-ablation.bench.ts, `log` versus `leanlog`.)
 */
export function logCompletion(root: Logger, requestId: string, req: Req, res: Res, ms: number): void {
  const finished = res.writableFinished;
  const status = res.statusCode;
  const line: Record<string, unknown> = {
    requestId,
    req: { method: req.method, url: redactUrl(req.originalUrl ?? req.url ?? '') },
    res: { statusCode: status },
    responseTime: Math.round(ms),
  };
  const caller = req.caller;
  if (caller) {
    line.callerId = caller.id;
    line.tenant = caller.tenant;
    line.roles = caller.roles;
  }
  if (res.err) line.err = res.err;
  if (!finished) root.warn(line, 'request aborted');
  else if (status >= 500 || res.err) root.error(line, 'request completed');
  else if (status >= 400) root.warn(line, 'request completed');
  else root.info(line, 'request completed');
}
