import { detectContentType } from './content-detector';
import { ARTICLE, LIST, MARKDOWN, PYTHON, TRANSCRIPT, TYPESCRIPT } from './fixtures.testing';

describe(detectContentType.name, () => {
  it.each([
    ['an article', ARTICLE, 'prose'],
    ['a transcript', TRANSCRIPT, 'conversation'],
    ['TypeScript', TYPESCRIPT, 'code'],
    ['Python', PYTHON, 'code'],
    ['markdown', MARKDOWN, 'markdown'],
    ['a bullet list', LIST, 'list'],
  ])('should recognise %s', (_name, text, type) => {
    const detected = detectContentType(text);
    expect(detected.type).toBe(type);
    expect(detected.confidence).toBeGreaterThan(0.3);
    expect(detected.confidence).toBeLessThanOrEqual(1);
  });

  it('should be less confident about a mixed text than a clear one', () => {
    const mixed = `${ARTICLE}\n${TYPESCRIPT.split('\n').slice(0, 8).join('\n')}`;
    expect(detectContentType(mixed).confidence).toBeLessThan(detectContentType(TYPESCRIPT).confidence);
  });

  it('should not take a note with one "Note:" label for a conversation', () => {
    expect(detectContentType(`Note: this is important.\n${ARTICLE}`).type).toBe('prose');
  });

  it('should answer prose with zero confidence for blank text', () => {
    expect(detectContentType(' \n ')).toMatchObject({ type: 'prose', confidence: 0 });
  });
});
