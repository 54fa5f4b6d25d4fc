import { Inject, Injectable, Scope } from '@nestjs/common';
import { type Params, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { currentContext, RequestContext, runInContext } from '../context/request-context';
import { ROOT_LOGGER } from './root-logger';

/**
 * nestjs-pino's `PinoLogger` (and so its Nest `Logger`) reading the platform's request context
 * instead of nestjs-pino's own AsyncLocalStorage: every line logged while serving a request
 * carries that request's id, with one context per request for logs, caller and request id.
 * nestjs-pino's request middleware is not mounted; the request edge enters the context.
 */
@Injectable({ scope: Scope.TRANSIENT })
export class ContextPinoLogger extends PinoLogger {
  constructor(
    @Inject(PARAMS_PROVIDER_TOKEN) params: Params,
    @Inject(ROOT_LOGGER) private readonly root: Logger,
  ) {
    super(params);
  }

  override get logger(): Logger {
    return currentContext()?.log ?? this.root;
  }

  override assign(fields: Record<string, unknown>): void {
    const ctx = currentContext();
    if (!ctx) throw new Error('PinoLogger: unable to assign extra fields out of request scope');
    ctx.assign(fields);
  }

  override runInContext<T>(fn: () => T, options: Parameters<PinoLogger['runInContext']>[1] = {}): T {
    const current = options.inherit ? currentContext() : undefined;
    const ctx = new RequestContext(current?.requestId, this.root);
    ctx.caller = current?.caller;
    if (options.bindings) ctx.assign(options.bindings);
    return runInContext(ctx, fn);
  }
}
