/**
 * Field names whose values never reach a log line, at the top level and one level down (a
 * logged `{ body: { password } }` is masked; `{ a: { b: { password } } }` is not: log
 * credential-bearing objects flat or not at all).
 */
const SECRET_FIELDS = new Set(['password', 'token', 'secret', 'apiKey', 'accessToken', 'refreshToken', 'clientSecret']);

/** Credential headers, wherever a logged request or response carries its headers. */
const SECRET_HEADERS: Readonly<Record<'req' | 'res', ReadonlySet<string>>> = {
  req: new Set(['authorization', 'cookie', 'x-api-key', 'proxy-authorization']),
  res: new Set(['set-cookie']),
};

export const REDACTED = '[REDACTED]';

type Obj = Record<string, unknown>;

const censor = (): string => REDACTED;

/** pino serializers that mask the secret fields wherever pino serializes a top-level key. */
export const SECRET_SERIALIZERS: Readonly<Record<string, () => string>> = Object.fromEntries(
  [...SECRET_FIELDS].map((field) => [field, censor]),
);

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Returns `obj` with every secret field (see {@link SECRET_FIELDS}) and credential header replaced
 * by `[REDACTED]`; copies only what it changes, so the caller's objects are never mutated and a
 * line with nothing to hide costs a few Set lookups.
 *
 * Hand-written rather than pino's `redact` option: @pinojs/redact walks and restores every logged
 * object per configured path and cost ≈ 15 µs per log line here (pino alone ≈ 2.5 µs), which is
 * paid on every request by the completion line. It is installed as pino's `formatters.log`, so it
 * sees every merging object; child bindings go through {@link SECRET_SERIALIZERS} instead (pino
 * does not pass them through the formatter), which masks secret fields at their top level.
 */
export function redactSecrets(obj: Obj): Obj {
  let out: Obj | undefined;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const value = obj[key];
    let replaced: unknown = value;
    if (SECRET_FIELDS.has(key)) replaced = REDACTED;
    else if (typeof value === 'object' && value !== null) replaced = redactNested(key, value);
    if (replaced !== value) (out ??= { ...obj })[key] = replaced;
  }
  return out ?? obj;
}

/** One level down: secret fields of a nested object, and the headers of `req`/`res`. */
function redactNested(key: string, value: object): unknown {
  if (Array.isArray(value)) return value;
  const source = value as Obj;
  let out: Obj | undefined;
  const copy = (): Obj => (out ??= value instanceof Error ? cloneError(value) : { ...source });
  for (const k in source) {
    if (Object.prototype.hasOwnProperty.call(source, k) && SECRET_FIELDS.has(k)) copy()[k] = REDACTED;
  }
  const secretHeaders = key === 'req' || key === 'res' ? SECRET_HEADERS[key] : undefined;
  const headers = source.headers;
  if (secretHeaders && isObject(headers)) {
    let masked: Obj | undefined;
    for (const h in headers) {
      if (secretHeaders.has(h.toLowerCase())) (masked ??= { ...headers })[h] = REDACTED;
    }
    if (masked) copy().headers = masked;
  }
  return out ?? value;
}

/** An error's copy that keeps its prototype, message, stack and own fields, for the err serializer. */
function cloneError(error: Error): Obj {
  const clone = Object.create(Object.getPrototypeOf(error) as object, Object.getOwnPropertyDescriptors(error)) as Obj;
  // Newer V8 (Node 22) makes `stack` an accessor that only works on the original error object.
  Object.defineProperty(clone, 'stack', { value: error.stack, writable: true, configurable: true });
  return clone;
}

const SECRET_QUERY = /([?&](?:[^=&]*(?:token|key|secret|password|signature)[^=&]*)=)[^&]*/gi;

/** Masks the values of query parameters whose names suggest credentials. */
export function redactUrl(url: string): string {
  return url.includes('?') ? url.replace(SECRET_QUERY, `$1${REDACTED}`) : url;
}
