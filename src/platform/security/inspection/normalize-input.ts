const NAMED_ENTITIES: Record<string, string> = {
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  amp: '&',
  colon: ':',
  sol: '/',
  bsol: '\\',
  lpar: '(',
  rpar: ')',
  tab: '\t',
  newline: '\n',
  equals: '=',
  semi: ';',
  grave: '`',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (m, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? m;
  });
}

function decodePercent(s: string): string {
  if (!s.includes('%')) return s;
  // Overlong UTF-8 forms of '.', '/' and '\' that old servers accepted.
  const fixed = s
    .replace(/%c0%ae/gi, '.')
    .replace(/%c0%af/gi, '/')
    .replace(/%c1%9c/gi, '\\')
    .replace(/%u002e/gi, '.');
  try {
    return decodeURIComponent(fixed);
  } catch {
    return fixed.replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

function decodeEscapes(s: string): string {
  return s
    .replace(/\\x([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\\u([0-9a-f]{4})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** Control and zero-width characters that split keywords (`java\0script`, `scr\u200bipt`). */
// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u200b-\u200d\ufeff]/g;

// eslint-disable-next-line no-control-regex -- control characters are among what gets decoded
const ENCODED = /[%&\\\u0000-\u001f\u007f-\uffff]/;

/**
 * The forms of a string the detectors look at: undone percent-encoding (twice, for double
 * encoding), HTML entities, JS escapes, Unicode compatibility forms (full-width `＜`), and NULs and
 * control characters that split keywords. Lower-cased. The raw string is kept as the first form.
 */
export function normalizedForms(input: string): string[] {
  const raw = input.toLowerCase();
  // Nothing to decode: plain ASCII without escapes of any kind (the common case) is its own normal form.
  if (!ENCODED.test(input)) return [raw];
  let s = input;
  for (let i = 0; i < 2; i++) s = decodePercent(s);
  s = decodeEscapes(decodeEntities(decodeEntities(s)));
  s = s.normalize('NFKC').replace(INVISIBLE, '').toLowerCase();
  return s === raw ? [raw] : [raw, s];
}
