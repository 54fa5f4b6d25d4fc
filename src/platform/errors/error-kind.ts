/**
 * What kind of failure a domain error is, in domain terms. The problem filter maps each kind to an
 * HTTP status; domain code never names a status itself.
 */
export type ErrorKind =
  | 'invalid' // the caller sent something wrong
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media_type' // the body comes in a content type the route does not take
  | 'rate_limited'
  | 'unavailable' // temporarily cannot serve; retry later
  | 'timeout' // a dependency did not answer in time
  | 'bad_gateway' // a dependency answered wrongly
  | 'internal';

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
};
