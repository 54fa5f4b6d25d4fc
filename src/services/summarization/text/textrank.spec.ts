import { splitSentences } from './sentence-splitter';
import { ARTICLE } from './fixtures.testing';
import { textRankScores, topUnits } from './textrank';

describe(textRankScores.name, () => {
  const sentences = splitSentences(ARTICLE).map((s) => s.text);

  it('should give the same scores for the same input', () => {
    expect(textRankScores(sentences)).toEqual(textRankScores([...sentences]));
  });

  it('should keep scores a probability distribution', () => {
    const sum = textRankScores(sentences).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 6);
  });

  it('should rank the off-topic sentence last and a central one first', () => {
    const scores = textRankScores(sentences);
    const order = scores
      .map((s, i) => [s, i])
      .sort((a, b) => b[0] - a[0])
      .map(([, i]) => i);
    expect(order.at(-1)).toBe(4); // the giraffe
    expect(sentences[order[0]]).toMatch(/solar/i);
  });

  it('should handle no, one and unrelated units', () => {
    expect(textRankScores([])).toEqual([]);
    expect(textRankScores(['alone'])).toEqual([1]);
    const flat = textRankScores(['apples grow', 'rivers flow', 'stars shine']);
    expect(flat[0]).toBeCloseTo(1 / 3, 6);
  });
});

describe(topUnits.name, () => {
  it('should return the k best in source order, earlier first on ties', () => {
    expect(topUnits([0.1, 0.5, 0.2, 0.5], 2)).toEqual([1, 3]);
    expect(topUnits([0.3, 0.3, 0.3], 2)).toEqual([0, 1]);
    expect(topUnits([0.3, 0.3, 0.3], 1, (i) => (i === 2 ? 2 : 1))).toEqual([2]);
  });
});
