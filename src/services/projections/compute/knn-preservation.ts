import { Randomizer } from '@saehrimnir/druidjs';

export interface KnnPreservation {
  /** Neighbours compared per point. */
  k: number;
  /** Points whose neighbourhoods were compared (a seeded subsample of the projected points). */
  evaluatedPoints: number;
  /** Mean share of each point's k nearest neighbours in the original space that are also among its k nearest in the projection (1 = all kept). */
  score: number;
  /** The score a random projection would get on average (k / (m - 1)), for comparison. */
  randomBaseline: number;
}

/**
 * kNN preservation (the neighbourhood-hit idea behind trustworthiness): for each of `m` points,
 * the share of its k nearest neighbours among those `m` points in the original space that stay
 * among its k nearest in the projection. Brute force is O(m² · dim), so at most `maxPoints`
 * points (a seeded subsample) are compared: 1,000 × 768 is about 0.8 G multiply-adds.
 * Hand-written: druid's kNN structures answer queries one at a time through Matrix rows, which is
 * slower here than two flat loops over Float32Arrays, and the metric is a few lines.
 */
export function knnPreservation(
  data: Float32Array,
  n: number,
  dim: number,
  coords: Float64Array,
  d: number,
  options: { k: number; maxPoints: number; seed: number },
): KnnPreservation {
  const indices = subsample(n, options.maxPoints, options.seed);
  const m = indices.length;
  const k = Math.min(options.k, m - 1);
  if (k < 1) return { k: 0, evaluatedPoints: m, score: 1, randomBaseline: 1 };
  const high = new Float64Array(m);
  const low = new Float64Array(m);
  let sum = 0;
  for (let a = 0; a < m; a++) {
    const ia = indices[a];
    for (let b = 0; b < m; b++) {
      const ib = indices[b];
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const diff = data[ia * dim + j] - data[ib * dim + j];
        s += diff * diff;
      }
      high[b] = s;
      let t = 0;
      for (let j = 0; j < d; j++) {
        const diff = coords[ia * d + j] - coords[ib * d + j];
        t += diff * diff;
      }
      low[b] = t;
    }
    high[a] = Infinity;
    low[a] = Infinity;
    const near = nearest(high, k);
    const nearLow = new Set(nearest(low, k));
    let kept = 0;
    for (const b of near) if (nearLow.has(b)) kept++;
    sum += kept / k;
  }
  return { k, evaluatedPoints: m, score: sum / m, randomBaseline: k / (m - 1) };
}

/** Indices of the k smallest values (ties: lower index first). */
function nearest(values: Float64Array, k: number): number[] {
  const order = Array.from(values.keys());
  order.sort((x, y) => values[x] - values[y] || x - y);
  return order.slice(0, k);
}

/** `max` distinct indices of `0..n-1`, seeded, ascending (partial Fisher-Yates); all when n ≤ max. */
export function subsample(n: number, max: number, seed: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const random = new Randomizer(seed);
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(random.random * (n - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, max).sort((a, b) => a - b);
}
