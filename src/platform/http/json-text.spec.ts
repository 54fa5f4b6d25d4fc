import { BodyTooComplexError, MalformedBodyError } from '../errors';
import { isBlank, parseJsonText } from './json-text';

const LIMITS = { maxDepth: 4, maxKeys: 5 };

describe(parseJsonText.name, () => {
  it('should parse JSON within the limits', () => {
    expect(parseJsonText('{"a":[1,{"b":[2]}],"c":"x"}', LIMITS)).toEqual({
      ok: true,
      value: { a: [1, { b: [2] }], c: 'x' },
    });
    expect(parseJsonText('null', LIMITS)).toEqual({ ok: true, value: null });
  });

  it('should refuse nesting deeper than maxDepth before parsing', () => {
    const ok = parseJsonText('[[[[1]]]]', LIMITS);
    expect(ok.ok).toBe(true);
    const deep = parseJsonText('['.repeat(2000), LIMITS);
    expect(deep.ok).toBe(false);
    if (!deep.ok) {
      expect(deep.error).toBeInstanceOf(BodyTooComplexError);
      expect(deep.error.message).toBe('Request body nests deeper than 4 levels');
    }
  });

  it('should count keys over the whole document, not per object', () => {
    expect(parseJsonText('{"a":1,"b":{"c":2,"d":3},"e":4}', LIMITS).ok).toBe(true);
    const many = parseJsonText('[{"a":1,"b":2},{"c":3,"d":4},{"e":5,"f":6}]', LIMITS);
    expect(many.ok).toBe(false);
    if (!many.ok) expect(many.error.message).toBe('Request body has more than 5 keys');
  });

  it('should not count brackets, colons or escaped quotes inside strings', () => {
    const text = JSON.stringify({ a: '[[[[[[{{{{:::::::"\\' });
    expect(parseJsonText(text, LIMITS)).toEqual({ ok: true, value: { a: '[[[[[[{{{{:::::::"\\' } });
  });

  it('should refuse prototype-polluting keys, escaped or not', () => {
    for (const text of [
      '{"__proto__":{"admin":true}}',
      '{"\\u005f_proto__":{"admin":true}}',
      '{"a":{"constructor":{"prototype":{}}}}',
    ]) {
      const r = parseJsonText(text, LIMITS);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error).toBeInstanceOf(MalformedBodyError);
        expect(r.error.message).toMatch(/^Request body is not valid JSON: Forbidden key/);
      }
    }
    expect(parseJsonText('{"constructor":"fine"}', LIMITS).ok).toBe(true);
  });

  it('should say where invalid JSON broke without quoting it', () => {
    const r = parseJsonText('{"secret": nope}', LIMITS);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBeInstanceOf(MalformedBodyError);
      expect(r.error.message).toMatch(/^Request body is not valid JSON( \(error at position \d+\))?$/);
    }
    const truncated = parseJsonText('{"kind": "a",', LIMITS);
    if (!truncated.ok) expect(truncated.error.message).toBe('Request body is not valid JSON (error at position 13)');
    expect(truncated.ok).toBe(false);
  });
});

describe(isBlank.name, () => {
  it('should tell whitespace-only text from text with content', () => {
    expect(isBlank('')).toBe(true);
    expect(isBlank(' \r\n\t')).toBe(true);
    expect(isBlank(' x ')).toBe(false);
  });
});
