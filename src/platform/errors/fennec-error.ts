import type { ErrorKind } from './error-kind';

/** One field-level problem, as listed in a problem's `errors[]`. */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `messages.0.role`. */
  field: string;
  /** What is wrong with it, in words a caller can act on. */
  message: string;
}

export interface FennecErrorOptions {
  cause?: unknown;
  fieldErrors?: FieldError[];
  /** For `rate_limited` and `unavailable`: when the caller may try again. */
  retryAfterSeconds?: number;
}

/**
 * Base of every domain error. Subclasses fix a stable dotted `code` (clients and SDKs depend on it)
 * and a `kind`; they know nothing about HTTP.
 *
 * ```ts
 * export class UpstreamTimeoutError extends FennecError {
 *   readonly code = 'UPSTREAM.TIMEOUT';
 *   readonly kind = 'timeout';
 * }
 * ```
 */
export abstract class FennecError extends Error {
  abstract readonly code: string;
  abstract readonly kind: ErrorKind;
  readonly fieldErrors?: FieldError[];
  readonly retryAfterSeconds?: number;
  /** `message` is the problem's `detail`: safe to show the caller, no secrets, no internal URLs. */
  constructor(message: string, options: FennecErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.fieldErrors = options.fieldErrors;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
