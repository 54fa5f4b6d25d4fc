import { summariseExtractive } from './extractive-summarizer';
import { ARTICLE, LIST, MARKDOWN, PYTHON } from './fixtures.testing';

describe(summariseExtractive.name, () => {
  it('should keep the chosen sentences in source order with offsets into the input', () => {
    const out = summariseExtractive(ARTICLE, 'prose', { maxSentences: 3 });
    expect(out.totalUnits).toBe(7);
    expect(out.selected).toHaveLength(3);
    for (const s of out.selected) expect(ARTICLE.slice(s.start, s.end)).toBe(s.text);
    expect(out.selected.map((s) => s.start)).toEqual([...out.selected.map((s) => s.start)].sort((a, b) => a - b));
  });

  it('should keep at least one unit for a tiny ratio and all of them for ratio 1', () => {
    expect(summariseExtractive(ARTICLE, 'prose', { ratio: 0.01 }).selected).toHaveLength(1);
    expect(summariseExtractive(ARTICLE, 'prose', { ratio: 1 }).selected).toHaveLength(7);
  });

  it('should summarise markdown from its text, leaving out headings, tables and code blocks', () => {
    const out = summariseExtractive(MARKDOWN, 'markdown', { ratio: 1 });
    expect(out.strategy).toBe('textrank-markdown');
    expect(out.summary).toContain('Fennec stores documents and searches them with BM25 and vectors.');
    expect(out.summary).not.toMatch(/npm start|\||#|\*\*/);
  });

  it('should pick whole list items', () => {
    const out = summariseExtractive(LIST, 'list', { maxSentences: 2 });
    expect(out.strategy).toBe('textrank-items');
    expect(out.selected.every((s) => s.text.startsWith('- '))).toBe(true);
    expect(out.summary.split('\n')).toHaveLength(2);
  });

  it('should outline Python code, public documented declarations first', () => {
    const out = summariseExtractive(PYTHON, 'code', { maxSentences: 1 });
    expect(out.summary).toBe('class Circle — A circle in the plane.');
  });

  it('should fall back to the first lines of code without declarations', () => {
    const out = summariseExtractive('x = 1\ny = x + 2\nprint(y)', 'code', { maxSentences: 2 });
    expect(out.summary).toBe('x = 1\ny = x + 2');
  });
});
