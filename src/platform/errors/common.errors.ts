import { FennecError } from './fennec-error';

/** The request body, query or params failed validation; `fieldErrors` names each bad field. */
export class RequestValidationError extends FennecError {
  readonly code = 'VALIDATION.FAILED';
  readonly kind = 'invalid';
}

/** The body is not parseable JSON (or not the declared content type). */
export class MalformedBodyError extends FennecError {
  readonly code = 'REQUEST.MALFORMED_BODY';
  readonly kind = 'invalid';
}

/** The JSON body nests deeper, or holds more keys, than the configured bounds (`HTTP_JSON_MAX_*`). */
export class BodyTooComplexError extends FennecError {
  readonly code = 'REQUEST.BODY_TOO_COMPLEX';
  readonly kind = 'invalid';
}

export class PayloadTooLargeError extends FennecError {
  readonly code = 'REQUEST.PAYLOAD_TOO_LARGE';
  readonly kind = 'too_large';
}

export class RouteNotFoundError extends FennecError {
  readonly code = 'ROUTE.NOT_FOUND';
  readonly kind = 'not_found';
}

/** A named resource (document, service, config version…) does not exist. */
export class ResourceNotFoundError extends FennecError {
  readonly code: string;
  readonly kind = 'not_found';
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
