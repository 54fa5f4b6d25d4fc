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

/**
 * What the one AsyncLocalStorage holds: the request context and, with tracing on, the active
 * OpenTelemetry context (opaque here; `tracing/platform-context-manager.ts` is OpenTelemetry's
 * context manager over this same storage). One store for both, because every AsyncLocalStorage
 * adds work to every promise on Node 20: tracing with OpenTelemetry's own AsyncLocalStorage
 * context manager beside this one cost about 10 % more instructions per request.
 */
interface Frame {
  readonly request: RequestContext | undefined;
  readonly trace: unknown;
}

const storage = new AsyncLocalStorage<Frame>();
const ON_REQUEST = Symbol('fennec.requestContext');

/** The context of the code running now, if it runs for a request (or inside {@link runInContext}). */
export function currentContext(): RequestContext | undefined {
  return storage.getStore()?.request;
}

/** Runs `fn` (and everything it starts) inside `ctx`, keeping the active trace context. */
export function runInContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run({ request: ctx, trace: storage.getStore()?.trace }, fn);
}

/** Runs `fn` inside `ctx` with `trace` as its trace context: one entry for both (the traced request edge). */
export function runInContextAndTrace<T>(ctx: RequestContext, trace: unknown, fn: () => T): T {
  return storage.run({ request: ctx, trace }, fn);
}

/** The trace context of the code running now (tracing's context manager; undefined outside any). */
export function activeTraceContext(): unknown {
  return storage.getStore()?.trace;
}

/** Runs `fn` with `trace` as the trace context, keeping the request context (tracing's context manager). */
export function runWithTraceContext<A extends unknown[], R>(trace: unknown, fn: (...args: A) => R, ...args: A): R {
  return storage.run({ request: storage.getStore()?.request, trace }, fn, ...args);
}

/** Sets `trace` as the trace context of the rest of the current execution (`ContextManager.attach`). */
export function enterTraceContext(trace: unknown): void {
  storage.enterWith({ request: storage.getStore()?.request, trace });
}

/** The context the request edge attached to `req` (for code that has the request at hand). */
export function contextOf(req: object): RequestContext | undefined {
  return (req as { [ON_REQUEST]?: RequestContext })[ON_REQUEST];
}

export function attachContext(req: object, ctx: RequestContext): void {
  (req as { [ON_REQUEST]?: RequestContext })[ON_REQUEST] = ctx;
}
