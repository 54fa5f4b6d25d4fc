import { Inject, Injectable, type LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';
import { currentContext } from '../context/request-context';
import { ROOT_LOGGER } from './root-logger';

/** Nest's built-in exception handlers call `error(message, stack)`: a string holding a stack trace. */
const STACK_LINE = /\n\s*at /;

/**
 * Nest's `LoggerService` on the platform's pino logger: every line Nest or a service writes with
 * `new Logger(context)` lands in the current request's logger (so it carries the request id, caller
 * and tenant), or the root logger outside a request.
 *
 * Hand-written rather than nestjs-pino's `Logger`: every nestjs-pino 5.x release declares Node
 * ≥ 22.12 and 4.x does not accept Nest 12, while Fennec supports Node 20.19 and 22; and the
 * platform already owns the request context and the request logging that nestjs-pino's middleware
 * would otherwise provide. The argument mapping follows nestjs-pino's: the last optional argument
 * is the context, an object message is merged into the line, an `Error` becomes `err`.
 */
@Injectable()
export class PlatformLogger implements LoggerService {
  constructor(@Inject(ROOT_LOGGER) private readonly root: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    const logger = currentContext()?.log ?? this.root;
    if (!logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let rest = params;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      rest = params.slice(0, -1);
    }
    if (typeof message === 'object' && message !== null) {
      if (message instanceof Error) fields.err = message;
      else Object.assign(fields, message);
      logger[level](fields, ...(rest as []));
    } else if (level === 'error' && rest.length === 1 && typeof rest[0] === 'string' && STACK_LINE.test(rest[0])) {
      const err = new Error(String(message));
      err.stack = rest[0];
      logger[level]({ ...fields, err });
    } else {
      logger[level](fields, String(message), ...(rest as []));
    }
  }
}
