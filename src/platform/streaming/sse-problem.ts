import { FennecError } from '../errors/fennec-error';
import type { ProblemDetails } from '../errors/problem-details';
import { problemFor } from '../errors/problem-for';
import { SseTerminalProblem } from './sse-terminal-problem';
import { StreamSourceFailedError } from './streaming.errors';

/**
 * The problem object of an `error` event: a domain error maps exactly as the problem filter maps
 * it (`problemFor`); anything else becomes {@link StreamSourceFailedError} (`STREAM.FAILED`), whose
 * 500 carries the generic detail (no internals, no upstream URLs).
 */
export function streamProblem(err: unknown, instance: string, requestId: string): ProblemDetails {
  if (err instanceof SseTerminalProblem) return { ...err.problem, instance, requestId };
  const known = err instanceof FennecError ? err : new StreamSourceFailedError('stream source failed');
  return problemFor(known, { instance, requestId });
}
