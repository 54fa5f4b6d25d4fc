import { STATUS_BY_KIND } from '../errors/error-kind';
import { FennecError } from '../errors/fennec-error';
import { titleForStatus } from '../errors/http-error-codes';
import { problemType, type ProblemDetails } from '../errors/problem-details';

const GENERIC = 'The stream failed unexpectedly. Quote the requestId when reporting it.';

/**
 * The problem object of an `error` event: the same RFC 9457 shape the problem filter answers,
 * with the same rules (internal errors get a generic detail; no upstream URLs, since domain
 * error messages never carry them).
 */
export function streamProblem(err: unknown, instance: string, requestId: string): ProblemDetails {
  if (!(err instanceof FennecError)) {
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
  const status = STATUS_BY_KIND[err.kind];
  const retryAfter = err.retryAfterSeconds ?? (status === 429 || status === 503 ? 1 : undefined);
  return {
    type: problemType(err.code),
    title: titleForStatus(status),
    status,
    detail: err.kind === 'internal' ? GENERIC : err.message,
    instance,
    code: err.code,
    requestId,
    ...(err.fieldErrors ? { errors: err.fieldErrors } : {}),
    ...(retryAfter !== undefined ? { retryAfter: Math.ceil(retryAfter) } : {}),
  };
}
