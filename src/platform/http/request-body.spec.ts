import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import { isJsonMediaType, jsonObjectBody, markNonJsonMediaType, UnusableBody } from './request-body';

describe(jsonObjectBody.name, () => {
  it('should return a JSON object and undefined for no body', () => {
    expect(jsonObjectBody({ a: 1 })).toEqual({ a: 1 });
    expect(jsonObjectBody(undefined)).toBeUndefined();
  });

  it('should say that null, arrays and scalars are not JSON objects', () => {
    for (const [value, what] of [
      [null, 'null'],
      [[1], 'an array'],
      ['x', 'a string'],
      [3, 'a number'],
    ] as const) {
      expect(() => jsonObjectBody(value)).toThrow(
        new MalformedBodyError(`Request body must be a JSON object, not ${what}`),
      );
    }
  });

  it('should answer 415 naming the accepted types for a body not sent as JSON, unless any type is taken', () => {
    const form = { model: 'm' };
    markNonJsonMediaType(form, 'application/x-www-form-urlencoded');
    expect(() => jsonObjectBody(form)).toThrow(UnsupportedMediaTypeError);
    expect(() => jsonObjectBody(form)).toThrow(
      'Request body was sent as application/x-www-form-urlencoded; this route takes application/json or application/*+json',
    );
    expect(jsonObjectBody(form, { anyMediaType: true })).toBe(form);
    const none = {};
    markNonJsonMediaType(none, '');
    expect(() => jsonObjectBody(none)).toThrow('Request body was sent without a Content-Type');
    // The mark is invisible to copies and serialisation.
    expect(Object.keys(form)).toEqual(['model']);
    expect(JSON.stringify({ ...form })).toBe('{"model":"m"}');
  });

  it("should throw an unusable body's own error, or 415 when it was not sent as JSON", () => {
    const tooLarge = new PayloadTooLargeError('big');
    expect(() => jsonObjectBody(new UnusableBody(tooLarge))).toThrow(tooLarge);
    const notJson = new UnusableBody(new MalformedBodyError('bad'), 'text/plain');
    expect(() => jsonObjectBody(notJson)).toThrow(UnsupportedMediaTypeError);
    expect(() => jsonObjectBody(notJson, { anyMediaType: true })).toThrow('bad');
    // Guards that walk the body see nothing in it.
    expect(Object.keys(notJson)).toEqual([]);
  });
});

describe(isJsonMediaType.name, () => {
  it('should take application/json and +json types, parameters and case aside', () => {
    expect(isJsonMediaType('application/json')).toBe(true);
    expect(isJsonMediaType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonMediaType('application/merge-patch+json')).toBe(true);
    expect(isJsonMediaType('application/x-www-form-urlencoded')).toBe(false);
    expect(isJsonMediaType('text/json+plain')).toBe(false);
    expect(isJsonMediaType(undefined)).toBe(false);
  });
});
