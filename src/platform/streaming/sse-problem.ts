import { FennecError } from '../errors/fennec-error';
import { titleForStatus } from '../errors/http-error-codes';
import { problemType, type ProblemDetails } from '../errors/problem-details';
import { problemFor } from '../errors/problem-for';
import { SseTerminalProblem } from './sse-terminal-problem';

const GENERIC = 'The stream failed unexpectedly. Quote the requestId when reporting it.';

/**
 * The problem object of an `error` event: a domain error maps exactly as the problem filter maps
 * it (`problemFor`); anything else is `STREAM.FAILED` with a generic detail (no internals, no
 * upstream URLs).
 */
export function streamProblem(err: unknown, instance: string, requestId: string): ProblemDetails {
  if (err instanceof SseTerminalProblem) return { ...err.problem, instance, requestId };
  if (err instanceof FennecError) return problemFor(err, { instance, requestId });
  return {
    type: problemType('STREAM.FAILED'),
    title: titleForStatus(500),
    status: 500,
    detail: GENERIC,
    instance,
    code: 'STREAM.FAILED',
    requestId,
  };
}
