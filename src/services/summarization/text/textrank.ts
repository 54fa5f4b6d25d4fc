import { contentWords } from './words';

export interface TextRankOptions {
  /** PageRank damping factor. */
  damping?: number;
  maxIterations?: number;
  tolerance?: number;
}

/** TF-IDF vectors of units (sentences, turns, items), L2-normalised, as sparse maps. */
function tfidfVectors(units: string[]): Map<string, number>[] {
  const bags = units.map(contentWords);
  const df = new Map<string, number>();
  for (const bag of bags) for (const w of new Set(bag)) df.set(w, (df.get(w) ?? 0) + 1);
  return bags.map((bag) => {
    const v = new Map<string, number>();
    for (const w of bag) v.set(w, (v.get(w) ?? 0) + 1);
    let norm = 0;
    for (const [w, tf] of v) {
      const weight = tf * (1 + Math.log(units.length / (df.get(w) ?? 1)));
      v.set(w, weight);
      norm += weight * weight;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [w, x] of v) v.set(w, x / norm);
    return v;
  });
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [w, x] of small) dot += x * (large.get(w) ?? 0);
  return dot;
}

/**
 * TextRank (Mihalcea & Tarau, 2004): PageRank over a graph whose nodes are the units and whose
 * edge weights are TF-IDF cosine similarities. Pure and deterministic: same input, same scores.
 */
export function textRankScores(units: string[], options: TextRankOptions = {}): number[] {
  const n = units.length;
  if (n === 0) return [];
  if (n === 1) return [1];
  const { damping = 0.85, maxIterations = 100, tolerance = 1e-6 } = options;
  const vectors = tfidfVectors(units);
  const weights: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const outSum = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const w = cosine(vectors[i], vectors[j]);
      weights[i][j] = w;
      weights[j][i] = w;
      outSum[i] += w;
      outSum[j] += w;
    }
  }
  let scores = new Array<number>(n).fill(1 / n);
  for (let iter = 0; iter < maxIterations; iter++) {
    // Dangling nodes (no similarity to anything) spread their rank evenly, keeping the sum at 1.
    const dangling = scores.reduce((s, x, i) => (outSum[i] === 0 ? s + x : s), 0);
    const next = new Array<number>(n).fill((1 - damping) / n + (damping * dangling) / n);
    for (let j = 0; j < n; j++) {
      if (outSum[j] === 0) continue;
      const share = (damping * scores[j]) / outSum[j];
      for (let i = 0; i < n; i++) if (weights[j][i] > 0) next[i] += share * weights[j][i];
    }
    const delta = next.reduce((s, x, i) => s + Math.abs(x - scores[i]), 0);
    scores = next;
    if (delta < tolerance) break;
  }
  return scores;
}

/**
 * Indices of the `k` best units, returned in source order. Ties go to the earlier unit;
 * `bias` (e.g. a lead bonus) multiplies each score before ranking.
 */
export function topUnits(scores: number[], k: number, bias?: (index: number) => number): number[] {
  return scores
    .map((s, i) => ({ i, s: s * (bias?.(i) ?? 1) }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, Math.max(0, k))
    .map((x) => x.i)
    .sort((a, b) => a - b);
}
