import { LifecycleTimeoutError } from './registry.errors';

/**
 * Runs `fn` and settles with it, or rejects with a {@link LifecycleTimeoutError} after `ms`.
 * A hook that hangs is abandoned, not cancelled: JavaScript cannot cancel it.
 */
export function withTimeout<T>(fn: () => Promise<T> | T, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let pending: Promise<T> | T;
    try {
      pending = fn();
    } catch (err) {
      pending = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    Promise.resolve(pending).then(
      (value) => {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        settled = true;
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
    // Most hooks settle at once (already-resolved promises); their reaction above runs before
    // this microtask, so they never pay for a timer. With thousands of services that adds up.
    // (A promise job, not queueMicrotask: fake timers would hold that back.)
    void Promise.resolve().then(() => {
      if (!settled) timer = setTimeout(() => reject(new LifecycleTimeoutError(`${what} timed out after ${ms} ms`)), ms);
    });
  });
}
