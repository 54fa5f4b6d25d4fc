import { type Context, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { activeTraceContext, enterTraceContext, runWithTraceContext } from '../context/request-context';

/**
 * OpenTelemetry's context manager over the platform's own AsyncLocalStorage (the request
 * context's), instead of the SDK's default, which is a second AsyncLocalStorage: on Node 20 each
 * one adds work to every promise a request creates, and the second one was the largest part of
 * what tracing cost a request that is not sampled. The active OpenTelemetry context sits beside
 * the request context in the same store.
 *
 * Only `active`, `with` and `attach` are written here; binding functions and event emitters is
 * the SDK's own code (`AsyncLocalStorageContextManager` via its base class), which goes through
 * these. The base class's own storage is never entered, so it costs nothing.
 */
export class PlatformContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    return (activeTraceContext() as Context | undefined) ?? ROOT_CONTEXT;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const cb = thisArg == null ? fn : (fn.bind(thisArg) as F);
    return runWithTraceContext(context, cb, ...args);
  }

  /** `ContextManager.attach` (experimental in the API): `enterWith` on the shared storage. */
  override attach(context: Context): { dispose(): void } {
    const previous = this.active();
    enterTraceContext(context);
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        enterTraceContext(previous);
      },
    };
  }
}
