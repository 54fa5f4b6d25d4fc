import { BodyTooComplexError, type FennecError, MalformedBodyError } from '../errors';
import { rejectPrototypeKeys } from '../errors/body-parser-errors';

/** Bounds on the shape of a JSON body, checked before it is parsed. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays. */
  maxDepth: number;
  /** Most object keys in the whole document. */
  maxKeys: number;
}

/** The outcome of {@link parseJsonText}: the value, or the error to answer. */
export type JsonParse = { ok: true; value: unknown } | { ok: false; error: FennecError };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/**
 * Parses a request body's text as JSON within `limits`, refusing prototype-polluting keys.
 *
 * Hand-written because neither JSON.parse nor body-parser bounds nesting or key count, and
 * everything downstream of the parser (class-transformer, the input inspector, the drop-in
 * surfaces' mapping) walks the value recursively: 2,000 levels of `[` overflowed the stack there.
 * One pass over the text before JSON.parse counts nesting (`{`/`[` outside strings) and keys
 * (`:` outside strings), stopping at the first bound crossed, so an over-deep body is refused
 * before anything is built; strings are skipped with indexOf. Only when the text holds a
 * backslash (a key could be an escaped `__proto__`), `__proto__` or `constructor` is JSON.parse
 * given the prototype-key reviver, which costs a callback per value; ordinary bodies parse
 * without it (`npm run bench:json-body` compares both with the reviver-on-every-body baseline).
 * A text that is not JSON may pass the pass with odd counts; JSON.parse then refuses it.
 */
export function parseJsonText(text: string, limits: JsonLimits): JsonParse {
  let depth = 0;
  let keys = 0;
  const n = text.length;
  const escapes = text.includes('\\');
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(text, i, escapes);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > limits.maxDepth) {
        return refuse(`Request body nests deeper than ${limits.maxDepth} levels`);
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    } else if (c === COLON && ++keys > limits.maxKeys) {
      return refuse(`Request body has more than ${limits.maxKeys} keys`);
    }
  }
  const guarded = escapes || text.includes('__proto__') || text.includes('constructor');
  try {
    return { ok: true, value: JSON.parse(text, guarded ? rejectPrototypeKeys : undefined) };
  } catch (e) {
    const message = (e as Error).message ?? '';
    if (message.startsWith('Forbidden key')) {
      return { ok: false, error: new MalformedBodyError(`Request body is not valid JSON: ${message}`) };
    }
    // JSON.parse's message quotes the text; only the position is kept.
    const at = /position (\d+)/.exec(message)?.[1];
    return {
      ok: false,
      error: new MalformedBodyError(`Request body is not valid JSON${at ? ` (error at position ${at})` : ''}`),
    };
  }
}

/**
 * Index of the quote closing the string opened at `open` (`text.length` when unterminated).
 * indexOf searches natively, which matters for long strings (a document's text); a quote is
 * escaped when an odd number of backslashes precede it, which only needs checking when the text
 * has any backslash at all.
 */
function closingQuote(text: string, open: number, escapes: boolean): number {
  let at = text.indexOf('"', open + 1);
  while (escapes && at !== -1) {
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) break;
    at = text.indexOf('"', at + 1);
  }
  return at === -1 ? text.length : at;
}

function refuse(detail: string): JsonParse {
  return { ok: false, error: new BodyTooComplexError(detail) };
}

/** Whether a text is empty or whitespace only (an empty body, whatever its content type says). */
export function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}
