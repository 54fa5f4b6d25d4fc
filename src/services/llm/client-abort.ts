import type { Request } from 'express';

/**
 * Fires when the client goes away before its answer is complete, so the Ollama call behind it
 * stops too (a generation nobody reads still costs a GPU).
 */
export function abortOnDisconnect(req: Request): AbortSignal {
  const controller = new AbortController();
  const res = req.res;
  res?.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function requestIdOf(req: Request): string | undefined {
  const id: unknown = req.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
