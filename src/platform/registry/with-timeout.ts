import { LifecycleTimeoutError } from './registry.errors';

/**
 * Runs `fn` and settles with it, or rejects with a {@link LifecycleTimeoutError} after `ms`.
 * A hook that hangs is abandoned, not cancelled: JavaScript cannot cancel it.
 */
export function withTimeout<T>(fn: () => Promise<T> | T, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new LifecycleTimeoutError(`${what} timed out after ${ms} ms`)), ms);
    Promise.resolve()
      .then(fn)
      .then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
  });
}
