import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { redactUrl } from './redaction';
import { assignRequestId } from './request-id';

type Req = IncomingMessage & { id?: string; log?: Logger; originalUrl?: string; caller?: Caller };
type Res = ServerResponse & { err?: Error };
interface Caller {
  id: string;
  tenant: string;
  roles: readonly string[];
}

/**
 * First middleware of every request: adopts or creates the request id (echoed as
 * `x-request-id`), gives the request a child logger bound to it (`req.log`, which nestjs-pino
 * makes the logger of everything the request logs), and writes one line when the response
 * completes or the client goes away.
 *
 * Hand-written rather than pino-http: pino-http's per-request work (wrapped serializers, three
 * listeners, custom-prop callbacks) cost ≈ 75 µs of CPU per request here, twice this
 * (bench/http-ablation.bench.ts, `log` versus `leanlog`).
 */
export function requestLogging(root: Logger, logCompletions: boolean) {
  return (req: Req, res: Res, next: () => void): void => {
    const id = assignRequestId(req, res);
    req.id = id;
    const log = root.child({ requestId: id });
    req.log = log;
    if (logCompletions) {
      const started = performance.now();
      res.once('close', () => logCompletion(log, req, res, performance.now() - started));
    }
    next();
  };
}

function logCompletion(log: Logger, req: Req, res: Res, ms: number): void {
  const finished = res.writableFinished;
  const status = res.statusCode;
  const line: Record<string, unknown> = {
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
  if (!finished) log.warn(line, 'request aborted');
  else if (status >= 500 || res.err) log.error(line, 'request completed');
  else if (status >= 400) log.warn(line, 'request completed');
  else log.info(line, 'request completed');
}
