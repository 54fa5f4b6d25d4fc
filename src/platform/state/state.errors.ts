import { FennecError, type FennecErrorOptions } from '../errors/fennec-error';

/**
 * The state backend (Redis) cannot be reached or did not answer in time. Commands fail fast with
 * this instead of queueing; the caller decides whether to fail open or closed.
 */
export class StateUnavailableError extends FennecError {
  readonly code = 'STATE.UNAVAILABLE';
  readonly kind = 'unavailable';

  constructor(message = 'Shared state is temporarily unavailable', options: FennecErrorOptions = {}) {
    super(message, { retryAfterSeconds: 1, ...options });
  }
}
