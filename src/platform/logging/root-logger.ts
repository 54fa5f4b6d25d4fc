import pino, { type DestinationStream, type Logger } from 'pino';
import { traceLogFields } from '../tracing/spans';
import type { LoggingConfig } from './logging.config';
import { redactSecrets, SECRET_SERIALIZERS } from './redaction';

/** DI token of the application's root pino logger (one per app). */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * The one pino logger of the app: Nest's logger (`PlatformLogger`) and the request logger
 * derive from it. JSON goes through an asynchronous destination (a synchronous write per line is
 * the largest single cost on the request path); `pretty` runs pino-pretty in a worker thread.
 */
export function createRootLogger(
  config: LoggingConfig,
  stream?: DestinationStream,
  { traceFields = false }: { traceFields?: boolean } = {},
): Logger {
  const options: pino.LoggerOptions = {
    level: config.level,
    serializers: { ...SECRET_SERIALIZERS, err: pino.stdSerializers.err },
    // Secrets are masked by the formatters (see redactSecrets for why not pino's `redact`).
    formatters: { level: (label) => ({ level: label }), log: redactSecrets },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // With tracing on, every line written inside a span carries its trace_id and span_id; with it
  // off no mixin is installed, so a line costs what it did before.
  if (traceFields) options.mixin = () => traceLogFields() ?? {};
  if (stream) return pino(options, stream);
  if (config.format === 'pretty') {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
