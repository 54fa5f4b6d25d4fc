import { FennecError } from '../errors/fennec-error';

/** The instance is shutting down; the client should reconnect (elsewhere) and resume. */
export class StreamShuttingDownError extends FennecError {
  readonly code = 'STREAM.SHUTTING_DOWN';
  readonly kind = 'unavailable';
}

/** The stream's source failed with something that is not a domain error. */
export class StreamSourceFailedError extends FennecError {
  readonly code = 'STREAM.FAILED';
  readonly kind = 'internal';
}
