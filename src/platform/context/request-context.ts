import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/** Who a request acts for, as authentication found it (see security/auth/caller.ts). */
export interface ContextCaller {
  readonly id: string;
  readonly tenant: string;
  readonly roles: readonly string[];
}

/**
 * Everything the platform knows about the request being served, reachable from any code that
 * runs for it: the request id, the request's logger, and (after authentication) the caller.
 *
 * One object in one AsyncLocalStorage for all of it, entered once by the request edge. On Node
 * 20 every AsyncLocalStorage adds work to every promise the request creates (async hooks), and
 * the earlier design (one store for nestjs-pino's logger, a second for the caller, entered by an
 * interceptor) cost tens of microseconds per request (bench/http-ablation.bench.ts).
 */
export class RequestContext {
  /** Set by authentication; read through `CallerContext`. */
  caller?: ContextCaller;
  private logger?: Logger;
  private bindings?: Record<string, unknown>;

  constructor(
    readonly requestId: string | undefined,
    private readonly root: Logger | undefined,
  ) {}

  /** A context that is not a request (background work acting for a caller). */
  static forCaller(caller: ContextCaller | undefined): RequestContext {
    const ctx = new RequestContext(undefined, undefined);
    ctx.caller = caller;
    return ctx;
  }

  /**
   * The request's logger: the root logger bound to the request id and any assigned fields. Built
   * on first use, so a request that logs nothing but its completion line creates no child logger.
   */
  get log(): Logger | undefined {
    if (this.logger || !this.root) return this.logger;
    this.logger = this.root.child(
      this.bindings ? { requestId: this.requestId, ...this.bindings } : { requestId: this.requestId },
    );
    return this.logger;
  }

  /** Adds fields to every later line of this request's logger. */
  assign(fields: Record<string, unknown>): void {
    if (this.logger) this.logger = this.logger.child(fields);
    else this.bindings = { ...this.bindings, ...fields };
  }
}

const storage = new AsyncLocalStorage<RequestContext>();
const ON_REQUEST = Symbol('fennec.requestContext');

/** The context of the code running now, if it runs for a request (or inside {@link runInContext}). */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts) inside `ctx`. */
export function runInContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The context the request edge attached to `req` (for code that has the request at hand). */
export function contextOf(req: object): RequestContext | undefined {
  return (req as { [ON_REQUEST]?: RequestContext })[ON_REQUEST];
}

export function attachContext(req: object, ctx: RequestContext): void {
  (req as { [ON_REQUEST]?: RequestContext })[ON_REQUEST] = ctx;
}
