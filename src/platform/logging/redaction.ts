/**
 * Field names whose values never reach a log line, at the top level and one level down. Deeper
 * wildcards (`*.*.x`) make pino's redaction walk every logged object and cost measurably on
 * every request (see docs/performance.md); log credentials-bearing objects flat or not at all.
 */
const SECRET_FIELDS = ['password', 'token', 'secret', 'apiKey', 'accessToken', 'refreshToken', 'clientSecret'];

const HEADER_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

export const REDACT_PATHS: string[] = [...HEADER_PATHS, ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`])];

export const REDACTED = '[REDACTED]';

const SECRET_QUERY = /([?&](?:[^=&]*(?:token|key|secret|password|signature)[^=&]*)=)[^&]*/gi;

/** Masks the values of query parameters whose names suggest credentials. */
export function redactUrl(url: string): string {
  return url.includes('?') ? url.replace(SECRET_QUERY, `$1${REDACTED}`) : url;
}
