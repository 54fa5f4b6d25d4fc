import { FennecError, type FennecErrorOptions } from '../errors/fennec-error';

/**
 * No instance of the pool could take the call (all ejected, circuits open, bulkheads full, or
 * every attempt failed to connect). Messages name the pool, never an instance URL.
 */
export class UpstreamUnavailableError extends FennecError {
  readonly code = 'UPSTREAM.UNAVAILABLE';
  readonly kind = 'unavailable';
  constructor(message: string, options: FennecErrorOptions = {}) {
    super(message, { retryAfterSeconds: 1, ...options });
  }
}

/** An upstream did not connect, send its first byte, or finish, in time. */
export class UpstreamTimeoutError extends FennecError {
  readonly code = 'UPSTREAM.TIMEOUT';
  readonly kind = 'timeout';
  constructor(
    message: string,
    readonly phase: 'connect' | 'first_byte' | 'total',
    options: FennecErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** An upstream answered with a server error, or broke its response off midway. */
export class UpstreamBadResponseError extends FennecError {
  readonly code = 'UPSTREAM.BAD_RESPONSE';
  readonly kind = 'bad_gateway';
  constructor(
    message: string,
    /** The upstream's HTTP status, when it answered at all. */
    readonly upstreamStatus?: number,
    options: FennecErrorOptions = {},
  ) {
    super(message, options);
  }
}

/**
 * The caller's own AbortSignal fired (e.g. its HTTP client disconnected). Not a failure of the
 * upstream: it never counts against an instance's breaker or outlier record.
 */
export class UpstreamCallAbortedError extends Error {
  constructor(readonly reason?: unknown) {
    super('The upstream call was aborted by its caller');
    this.name = 'UpstreamCallAbortedError';
  }
}
