import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type LoggerOptions } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import type { LoggingConfig } from './logging.config';
import { REDACT_PATHS, REDACTED, redactUrl } from './redaction';
import { assignRequestId } from './request-id';

type HttpOptions = PinoHttpOptions<IncomingMessage, ServerResponse>;

/**
 * pino-http options for the platform. JSON goes through an asynchronous destination: a
 * synchronous write per log line is the single largest cost on the request hot path.
 */
export function buildPinoHttp(
  config: LoggingConfig,
  stream?: DestinationStream,
): HttpOptions | [HttpOptions, DestinationStream] {
  const base: HttpOptions = {
    level: config.level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    genReqId: assignRequestId,
    customAttributeKeys: { reqId: 'requestId' },
    // The per-request child binds only the request id; method/url/status go on the one completion
    // line. Serialising `req` into every child is the costliest part of pino-http.
    quietReqLogger: true,
    // Set by the AuthGuard (src/platform/security); absent until the request is authenticated.
    customProps: (req) => {
      const caller = (req as { caller?: { id: string; tenant: string; roles: string[] } }).caller;
      return caller ? { callerId: caller.id, tenant: caller.tenant, roles: caller.roles } : {};
    },
    autoLogging: config.httpRequests,
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (req: { id: unknown; method: string; url: string; headers: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        userAgent: req.headers['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  } satisfies HttpOptions & LoggerOptions;

  if (stream) return [base, stream];
  if (config.format === 'pretty') {
    return {
      ...base,
      transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } },
    };
  }
  return [base, pino.destination({ dest: 1, sync: false })];
}
