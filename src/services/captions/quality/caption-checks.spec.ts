import type { CaptionSpec } from '../caption-styles';
import { checkCaption, repetition } from './caption-checks';
import { normalizeTags, parseTags } from './tag-normalizer';

const spec = (over: Partial<CaptionSpec> = {}): CaptionSpec => ({
  style: 'descriptive',
  minWords: 5,
  maxWords: 30,
  model: 'llava:7b',
  ...over,
});
const failed = (r: ReturnType<typeof checkCaption>) => r.checks.filter((c) => !c.passed).map((c) => c.name);

describe('caption checks', () => {
  const good = 'A red fox crosses a snowy field at dawn, its breath visible in the cold blue light.';

  it('should pass a plain description within bounds, with score 1', () => {
    const r = checkCaption(good, spec({ language: 'en' }));
    expect([r.passed, r.score, failed(r)]).toEqual([true, 1, []]);
    expect(r.checks.find((c) => c.name === 'language')).toMatchObject({ passed: true, measured: 'en' });
    expect(r.checks.find((c) => c.name === 'length')).toMatchObject({ measured: 17 });
  });

  it('should fail length outside the bounds', () => {
    expect(failed(checkCaption('A fox.', spec()))).toEqual(['length']);
    expect(failed(checkCaption(good, spec({ maxWords: 10 })))).toEqual(['length']);
  });

  it('should detect refusals and boiler-plate', () => {
    const refusal = checkCaption("I'm sorry, but as an AI I cannot describe people in this picture for you.", spec());
    expect(failed(refusal)).toEqual(['refusal']);
    expect(refusal.score).toBeLessThan(0.7);
    expect(failed(checkCaption('Sure! A red fox crosses a snowy field at dawn in the cold light.', spec()))).toEqual([
      'boilerplate',
    ]);
    expect(failed(checkCaption('The image shows an image of a red fox in a snowy field.', spec()))).toEqual([
      'boilerplate',
    ]);
  });

  it('should measure repetition loops by repeated 3-grams', () => {
    const loop = 'a blue circle on a blue circle on a blue circle on a blue circle on a blue circle';
    expect(repetition(loop).maxRepeats).toBe(5);
    expect(repetition(good).maxRepeats).toBe(1);
    expect(failed(checkCaption(loop, spec()))).toEqual(['repetition']);
  });

  it('should check the language asked for when it can be told', () => {
    const r = checkCaption(good, spec({ language: 'fr' }));
    expect(r.checks.find((c) => c.name === 'language')).toMatchObject({ passed: false, measured: 'en' });
    const fr = "Un renard roux traverse un champ enneigé à l'aube, dans la lumière bleue et froide du matin.";
    expect(failed(checkCaption(fr, spec({ language: 'fr' })))).toEqual([]);
    // Too short to tell, or a language the detector does not know: not checked.
    expect(checkCaption('Red fox.', spec({ minWords: 1, language: 'fr' })).checks.map((c) => c.name)).not.toContain(
      'language',
    );
  });

  it('should check tags for count and vocabulary, and fail an answer that is not the JSON asked for', () => {
    const ok = ['red fox', 'snow', 'dawn', 'winter'];
    expect(failed(checkCaption(ok.join(', '), spec({ style: 'tags', minWords: 3, maxWords: 10 }), ok))).toEqual([]);
    const bad = ['red fox', 'this is a whole sentence about the fox.', 'image'];
    const r = checkCaption(bad.join(', '), spec({ style: 'tags', minWords: 3, maxWords: 10 }), bad);
    expect(r.checks.find((c) => c.name === 'tags')).toMatchObject({ passed: false, measured: 2 });
    expect(failed(checkCaption('not json', spec({ style: 'tags', minWords: 3, maxWords: 10 })))).toEqual(['format']);
  });
});

describe('tag normalisation', () => {
  it('should lower-case, replace underscores, trim punctuation, merge duplicates and sort by confidence', () => {
    expect(
      normalizeTags(
        [
          { tag: 'Landscape_Orientation', confidence: 0.5 },
          { tag: '#Blue  Tones', confidence: 0.4 },
          { tag: 'blue tones', confidence: 0.9 },
          { name: 'gradient.', confidence: 0.7 },
          { tag: '' },
        ],
        10,
      ),
    ).toEqual([
      { tag: 'blue tones', confidence: 0.9 },
      { tag: 'gradient', confidence: 0.7 },
      { tag: 'landscape orientation', confidence: 0.5 },
    ]);
    expect(normalizeTags(['B', 'a', 'b', 'C'], 2)).toEqual([{ tag: 'b' }, { tag: 'a' }]);
  });

  it('should read tags from a structured answer or a bare list', () => {
    expect(parseTags('{"tags":[{"tag":"x","confidence":1}]}')).toEqual([{ tag: 'x', confidence: 1 }]);
    expect(parseTags('["a","b"]')).toEqual(['a', 'b']);
    expect(parseTags('a, b')).toBeUndefined();
    expect(parseTags('{"other":1}')).toBeUndefined();
  });
});
