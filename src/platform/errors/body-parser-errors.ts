import { FennecError } from './fennec-error';
import { MalformedBodyError, PayloadTooLargeError } from './common.errors';

/** Shape of the http-errors objects body-parser passes to `next()`. */
interface BodyParserError {
  type: string;
  status?: number;
  statusCode?: number;
  limit?: number;
  message?: string;
  charset?: string;
  encoding?: string;
}

/** The body's content type, charset or content encoding is not one the route takes (415). */
export class UnsupportedMediaTypeError extends FennecError {
  readonly code = 'REQUEST.UNSUPPORTED_MEDIA_TYPE';
  readonly kind = 'unsupported_media_type';
}

function isBodyParserError(e: unknown): e is BodyParserError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as { type?: unknown }).type === 'string' &&
    typeof ((e as BodyParserError).status ?? (e as BodyParserError).statusCode) === 'number'
  );
}

/**
 * Turns body-parser's errors into domain errors. Parser messages can quote the payload, so the
 * detail only says where parsing failed, never what was sent.
 */
export function fromBodyParserError(e: unknown): FennecError | undefined {
  if (!isBodyParserError(e)) return undefined;
  switch (e.type) {
    case 'entity.parse.failed': {
      const at = /position (\d+)/.exec(e.message ?? '')?.[1];
      const why = e.message?.startsWith('Forbidden key') ? `: ${e.message}` : at ? ` (error at position ${at})` : '';
      return new MalformedBodyError(`Request body is not valid JSON${why}`);
    }
    case 'entity.too.large':
      return new PayloadTooLargeError(`Request body exceeds the limit of ${e.limit ?? '?'} bytes`);
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError(`Content-Encoding "${e.encoding ?? ''}" is not supported`);
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(`Charset "${(e.charset ?? '').slice(0, 32)}" is not supported`);
    case 'request.aborted':
    case 'request.size.invalid':
      return new MalformedBodyError('Request body was incomplete');
    default:
      return undefined;
  }
}

/**
 * JSON reviver that refuses keys which pollute prototypes when copied (`__proto__`,
 * `constructor.prototype`). The body parser (`parseJsonText`) passes it to JSON.parse when the
 * text could hold such a key; what it throws becomes a 400 `REQUEST.MALFORMED_BODY`.
 */
export function rejectPrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('Forbidden key "__proto__" in request body');
  if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
    throw new SyntaxError('Forbidden key "constructor.prototype" in request body');
  }
  return value;
}
