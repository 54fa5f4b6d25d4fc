import { FennecError } from '../errors';

/** No job with this id is visible to the caller (absent, removed by retention, or another tenant's). */
export class JobNotFoundError extends FennecError {
  readonly code = 'JOBS.NOT_FOUND';
  readonly kind = 'not_found';
}

/** The job kind is not registered on this instance. */
export class UnknownJobKindError extends FennecError {
  readonly code = 'JOBS.UNKNOWN_KIND';
  readonly kind = 'invalid';
}

/** The operation does not fit the job's state (retry of a running job, cancel of a finished one). */
export class JobStateConflictError extends FennecError {
  readonly code = 'JOBS.STATE_CONFLICT';
  readonly kind = 'conflict';
}

/** The payload is not JSON-serialisable or too large. */
export class InvalidJobPayloadError extends FennecError {
  readonly code = 'JOBS.INVALID_PAYLOAD';
  readonly kind = 'invalid';
}

/** The jobs service is stopping or not started: no new jobs are accepted. */
export class JobsUnavailableError extends FennecError {
  readonly code = 'JOBS.UNAVAILABLE';
  readonly kind = 'unavailable';
}

/** A job kind is declared wrongly (boot refuses it): duplicate name, retries on a non-idempotent kind. */
export class InvalidJobKindError extends FennecError {
  readonly code = 'JOBS.INVALID_KIND';
  readonly kind = 'internal';
}

/** An attempt ran longer than its kind's timeout. */
export class JobTimeoutError extends FennecError {
  readonly code = 'JOBS.TIMEOUT';
  readonly kind = 'timeout';
}

/** The job was cancelled. */
export class JobCancelledError extends FennecError {
  readonly code = 'JOBS.CANCELLED';
  readonly kind = 'conflict';
}

/** The instance running a non-idempotent job stopped before it finished; it is not run again. */
export class JobInterruptedError extends FennecError {
  readonly code = 'JOBS.INTERRUPTED';
  readonly kind = 'unavailable';
}

/** The handler failed with an error that is not a domain error (details are in the log). */
export class JobHandlerFailedError extends FennecError {
  readonly code = 'JOBS.HANDLER_FAILED';
  readonly kind = 'internal';
}

/** A listing query or header is malformed (unknown cursor, bad Idempotency-Key). */
export class InvalidJobQueryError extends FennecError {
  readonly code = 'JOBS.INVALID_REQUEST';
  readonly kind = 'invalid';
}
