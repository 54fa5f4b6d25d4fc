/** Field names whose values never reach a log line, at any of the first four levels of nesting. */
const SECRET_FIELDS = ['password', 'token', 'secret', 'apiKey', 'accessToken', 'refreshToken', 'clientSecret'];

const HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

export const REDACT_PATHS: string[] = [
  ...HEADER_PATHS,
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]),
];

export const REDACTED = '[REDACTED]';

const SECRET_QUERY = /([?&](?:[^=&]*(?:token|key|secret|password|signature)[^=&]*)=)[^&]*/gi;

/** Masks the values of query parameters whose names suggest credentials. */
export function redactUrl(url: string): string {
  return url.includes('?') ? url.replace(SECRET_QUERY, `$1${REDACTED}`) : url;
}
