import { FennecError } from '../errors/fennec-error';

/** No credentials were presented on a route that needs them. */
export class AuthRequiredError extends FennecError {
  readonly code = 'AUTH.REQUIRED';
  readonly kind = 'unauthenticated';
}

/** Credentials were presented but are unknown, expired, malformed or badly signed. */
export class AuthInvalidError extends FennecError {
  readonly code = 'AUTH.INVALID';
  readonly kind = 'unauthenticated';
}

/** The caller is authenticated but lacks the role the route needs. */
export class AuthForbiddenError extends FennecError {
  readonly code = 'AUTH.FORBIDDEN';
  readonly kind = 'forbidden';
}

/** The caller exceeded a rate limit; `retryAfterSeconds` says when to try again. */
export class RateLimitExceededError extends FennecError {
  readonly code = 'RATE_LIMIT.EXCEEDED';
  readonly kind = 'rate_limited';
}

/** Input inspection found a threat in a blocking field; the message names the field, never the value. */
export class InputRejectedError extends FennecError {
  readonly code = 'SECURITY.INPUT_REJECTED';
  readonly kind = 'invalid';
}
