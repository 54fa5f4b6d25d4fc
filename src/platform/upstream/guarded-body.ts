import { UpstreamBadResponseError, UpstreamCallAbortedError, UpstreamTimeoutError } from './upstream.errors';

/** The attempt whose response body is being guarded. */
export interface GuardedCall {
  poolName: string;
  /** The attempt's own signal: fires on the caller's abort or a timeout, with that error as reason. */
  signal: AbortSignal;
  /** Frees the bulkhead slot and stops the timers; safe to call more than once. */
  release: () => void;
  /** Records a failure of the instance that answered. */
  recordFailure: (reason: string) => void;
}

/**
 * Wraps an upstream response body so that its end, error or cancel frees the slot and stops the
 * timers, and a broken-off body surfaces as the pool's own error (timeout, bad response or the
 * caller's abort).
 */
export function guardBody(body: ReadableStream<Uint8Array> | null, call: GuardedCall): ReadableStream<Uint8Array> {
  const { release, signal } = call;
  if (body === null) {
    release();
    return new ReadableStream({ start: (c) => c.close() });
  }
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      pull: async (c) => {
        try {
          const { done, value } = await reader.read();
          if (done) {
            release();
            c.close();
          } else c.enqueue(value);
        } catch (err) {
          release();
          const reason: unknown = signal.aborted ? signal.reason : undefined;
          if (reason instanceof UpstreamCallAbortedError) return c.error(reason);
          call.recordFailure(reason instanceof UpstreamTimeoutError ? 'timeout' : 'stream');
          c.error(
            reason instanceof UpstreamTimeoutError
              ? reason
              : new UpstreamBadResponseError(`Upstream "${call.poolName}" broke off its response`, undefined, {
                  cause: err,
                }),
          );
        }
      },
      cancel: async (why) => {
        release();
        await reader.cancel(why).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
