import type { Request } from 'express';

/** What {@link waitForDrain} needs of a response: Node's writable events. */
interface DrainableResponse {
  on(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/**
 * A signal that fires when the client goes away before its answer is complete, so the work
 * behind it (an upstream call, a generation nobody reads) stops too. A response that finished
 * normally never fires it.
 */
export function abortOnDisconnect(req: Request): AbortSignal {
  const controller = new AbortController();
  const res = req.res;
  res?.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * Resolves once a response whose `write()` returned false may be written again (`drain`), or
 * the client went away (`close`): a streaming loop awaits it to follow a slow client instead of
 * buffering without bound. Check `res.destroyed` after it resolves.
 */
export function waitForDrain(res: DrainableResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
