import { type FennecError, MalformedBodyError, UnsupportedMediaTypeError } from '../errors';

/** The media types native routes take a body in; what a 415 names. */
export const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'] as const;

const MEDIA_TYPE = Symbol('fennec.body.mediaType');
const PROBLEM = Symbol('fennec.body.problem');

/**
 * `req.body` when a body was sent but cannot be used: not JSON, over a limit, or not an object.
 * The body parser never answers by itself: it leaves this in place and the route decides (the
 * validation pipe for `@Body()`, {@link jsonObjectBody} for the drop-in surfaces), so the answer
 * comes from inside the route and in its surface's error dialect. It has no enumerable
 * properties: guards that walk `req.body` (input inspection) see an empty object.
 */
export class UnusableBody {
  readonly [PROBLEM]: FennecError;

  /** `nonJsonMediaType`: see {@link markNonJsonMediaType}; omitted for a body sent as JSON. */
  constructor(problem: FennecError, nonJsonMediaType?: string) {
    this[PROBLEM] = problem;
    if (nonJsonMediaType !== undefined) markNonJsonMediaType(this, nonJsonMediaType);
  }
}

/**
 * Marks a value parsed from a body that was not sent as JSON with the media type it was sent as
 * (`''` for none). Non-enumerable and symbol-keyed: spreads, JSON.stringify and class-transformer
 * do not copy it.
 */
export function markNonJsonMediaType(value: object, mediaType: string): void {
  Object.defineProperty(value, MEDIA_TYPE, { value: mediaType, enumerable: false });
}

/** The media type a body was sent as when not JSON (`''`: none), `false` when it was JSON. */
function nonJsonMediaType(value: unknown): string | false {
  if (typeof value !== 'object' || value === null || !(MEDIA_TYPE in value)) return false;
  return (value as { [MEDIA_TYPE]: string })[MEDIA_TYPE];
}

/** `application/json` and `application/<anything>+json`, parameters ignored. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = mediaTypeOf(contentType);
  return (
    type === 'application/json' || (type !== undefined && type.startsWith('application/') && type.endsWith('+json'))
  );
}

/** The bare media type of a Content-Type header, lower-cased (`undefined` without one). */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

export interface JsonObjectBodyOptions {
  /**
   * Take JSON whatever the Content-Type says (the drop-in surfaces, as Ollama does), instead of
   * answering 415 for a body not sent as `application/json` or `application/*+json`.
   */
  anyMediaType?: boolean;
}

/**
 * The request body as a JSON object, or the error to answer: 415 for a body in a media type the
 * route does not take, 400 for one that is not JSON or not an object (`null`, an array, a
 * string…), 400/413 for one over a limit. `undefined` when no body was sent.
 */
export function jsonObjectBody(
  value: unknown,
  options: JsonObjectBodyOptions = {},
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const media = nonJsonMediaType(value);
  if (media !== false && !options.anyMediaType) {
    const sent = media === '' ? 'without a Content-Type' : `as ${media.slice(0, 64)}`;
    throw new UnsupportedMediaTypeError(
      `Request body was sent ${sent}; this route takes ${JSON_MEDIA_TYPES.join(' or ')}`,
    );
  }
  if (value instanceof UnusableBody) throw value[PROBLEM];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw notAJsonObject(value);
  return value as Record<string, unknown>;
}

/** The error for a body that is JSON but not an object. */
export function notAJsonObject(value: unknown): FennecError {
  const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  return new MalformedBodyError(`Request body must be a JSON object, not ${what}`);
}
