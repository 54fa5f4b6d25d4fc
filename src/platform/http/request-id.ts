import type { Request } from 'express';

/** The request's id (set at the edge from `x-request-id` or generated), as a string to forward upstream. */
export function requestIdOf(req: Request): string | undefined {
  const id: unknown = req.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}
