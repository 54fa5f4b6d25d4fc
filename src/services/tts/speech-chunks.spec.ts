import { speechChunks } from './speech-chunks';

describe(speechChunks.name, () => {
  const sentence = (i: number) => `Sentence number ${i} says something about the weather today.`;
  const text = Array.from({ length: 40 }, (_, i) => sentence(i)).join(' ');

  it('should keep every word, in order, split only at sentence ends', () => {
    const chunks = speechChunks(text, 120, 1_000, 2);
    expect(chunks.join(' ')).toBe(text);
    for (const c of chunks) expect(c).toMatch(/\.$/);
  });

  it('should make the first chunk short and share the rest among the parallel chunks', () => {
    const chunks = speechChunks(text, 120, 2_000, 2);
    expect(chunks[0].length).toBeLessThanOrEqual(120);
    expect(chunks).toHaveLength(3);
    expect(Math.abs(chunks[1].length - chunks[2].length)).toBeLessThan(sentence(10).length * 2);
  });

  it('should cap chunks at chunkChars and cut a sentence longer than that at a space', () => {
    const long = `${'word '.repeat(300).trim()}.`;
    const chunks = speechChunks(long, 100, 200, 1);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(200);
    expect(chunks.join(' ')).toBe(long);
  });

  it('should give nothing for blank text', () => {
    expect(speechChunks('   \n ', 100, 200)).toEqual([]);
  });
});
