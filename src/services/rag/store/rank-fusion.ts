import type { ChunkHit } from './document-store';

/** The constant of Cormack et al. (2009); dampens the weight of top ranks. */
export const RRF_K = 60;

const key = (h: ChunkHit) => `${h.documentId}\u0000${h.chunk.index}`;

/**
 * Reciprocal rank fusion: each list contributes 1 / (k + rank) for every hit it holds; hits
 * found by several lists rise. Scores are comparable only within one fused result.
 */
export function reciprocalRankFusion(lists: ChunkHit[][], topK: number, k = RRF_K): ChunkHit[] {
  const fused = new Map<string, { hit: ChunkHit; score: number; best: number }>();
  for (const list of lists) {
    list.forEach((hit, rank) => {
      const entry = fused.get(key(hit)) ?? { hit, score: 0, best: rank };
      entry.score += 1 / (k + rank + 1);
      entry.best = Math.min(entry.best, rank);
      fused.set(key(hit), entry);
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.best - b.best || key(a.hit).localeCompare(key(b.hit)))
    .slice(0, topK)
    .map(({ hit, score }) => ({ ...hit, score }));
}
