import type { Readable } from 'node:stream';
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
 * Watches an upstream response body (undici's Node stream) so that its end, error or destruction
 * (a reader that stops early) frees the slot and stops the timers, and a broken-off body counts
 * against the instance. Returns how a read error is reported: as the pool's own error (timeout,
 * bad response or the caller's abort).
 */
export function guardBody(body: Readable, call: GuardedCall): (err: unknown) => Error {
  const { release, signal } = call;
  const reasonOf = (): unknown => (signal.aborted ? signal.reason : undefined);
  body.once('end', release);
  body.once('close', release);
  body.once('error', () => {
    release();
    const reason = reasonOf();
    if (reason instanceof UpstreamCallAbortedError) return;
    call.recordFailure(reason instanceof UpstreamTimeoutError ? 'timeout' : 'stream');
  });
  return (err) => {
    const reason = reasonOf();
    if (reason instanceof UpstreamCallAbortedError || reason instanceof UpstreamTimeoutError) return reason;
    if (err instanceof UpstreamCallAbortedError || err instanceof UpstreamTimeoutError) return err;
    return new UpstreamBadResponseError(`Upstream "${call.poolName}" broke off its response`, undefined, {
      cause: err,
    });
  };
}
