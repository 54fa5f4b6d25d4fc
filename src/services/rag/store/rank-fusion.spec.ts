import type { ChunkHit } from './document-store';
import { reciprocalRankFusion, RRF_K } from './rank-fusion';

const hit = (documentId: string, index = 0, score = 1): ChunkHit => ({
  documentId,
  chunk: { index, text: documentId, start: 0, end: 1, headingPath: [] },
  score,
  metadata: {},
});

describe(reciprocalRankFusion.name, () => {
  it('should lift a hit both lists found above hits only one list found', () => {
    const fused = reciprocalRankFusion(
      [
        [hit('a'), hit('b')],
        [hit('c'), hit('b')],
      ],
      3,
    );
    expect(fused.map((h) => h.documentId)).toEqual(['b', 'a', 'c']);
    expect(fused[0].score).toBeCloseTo(2 / (RRF_K + 2), 10);
  });

  it('should keep chunks of one document apart and respect topK', () => {
    const fused = reciprocalRankFusion([[hit('a', 0), hit('a', 1)], [hit('a', 1)]], 1);
    expect(fused).toHaveLength(1);
    expect(fused[0].chunk.index).toBe(1);
  });

  it('should be deterministic on ties', () => {
    const lists = [[hit('x')], [hit('y')]];
    expect(reciprocalRankFusion(lists, 2).map((h) => h.documentId)).toEqual(['x', 'y']);
    expect(reciprocalRankFusion([...lists].reverse(), 2).map((h) => h.documentId)).toEqual(['x', 'y']);
  });
});
