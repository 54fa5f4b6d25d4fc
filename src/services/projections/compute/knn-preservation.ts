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

/** Points up to which all pairwise distances are kept in a table (2,000: 2 × 32 MB). */
const PAIRWISE_MAX = 2_000;

/**
 * kNN preservation (the neighbourhood-hit idea behind trustworthiness): for each of `m` points,
 * the share of its k nearest neighbours among those `m` points in the original space that stay
 * among its k nearest in the projection. Brute force is O(m² · dim), so at most `maxPoints`
 * points (a seeded subsample) are compared, each pair once: 1,000 × 768 is about 0.4 G multiply-adds.
 * Hand-written: druid's kNN structures answer queries one at a time through Matrix rows, which is
 * slower here than flat loops over gathered Float64 rows, and the metric is a few lines.
 */
export function knnPreservation(
  data: Float32Array,
  n: number,
  dim: number,
  coords: Float64Array,
  d: number,
  options: { k: number; maxPoints: number; seed: number; pairwiseMax?: number },
): KnnPreservation {
  const indices = subsample(n, options.maxPoints, options.seed);
  const m = indices.length;
  const k = Math.min(options.k, m - 1);
  if (k < 1) return { k: 0, evaluatedPoints: m, score: 1, randomBaseline: 1 };
  // The compared rows gathered once (contiguous, Float64). Up to PAIRWISE_MAX points each pairwise
  // distance is computed once for both points of the pair and kept in an m × m table (half the
  // multiply-adds); beyond, the table would not fit comfortably (10,000 points: 1.6 GB), so each
  // point's distances are computed in a row and dropped.
  const rowsHigh = new Float64Array(m * dim);
  const rowsLow = new Float64Array(m * d);
  for (let a = 0; a < m; a++) {
    rowsHigh.set(data.subarray(indices[a] * dim, (indices[a] + 1) * dim), a * dim);
    rowsLow.set(coords.subarray(indices[a] * d, (indices[a] + 1) * d), a * d);
  }
  const distance = (rows: Float64Array, width: number, a: number, b: number) => {
    let s = 0;
    for (let j = 0, oa = a * width, ob = b * width; j < width; j++) {
      const diff = rows[oa + j] - rows[ob + j];
      s += diff * diff;
    }
    return s;
  };
  const pairwise = m <= (options.pairwiseMax ?? PAIRWISE_MAX);
  const high = new Float64Array(pairwise ? m * m : m);
  const low = new Float64Array(pairwise ? m * m : m);
  if (pairwise)
    for (let a = 0; a < m; a++) {
      for (let b = a + 1; b < m; b++) {
        high[a * m + b] = high[b * m + a] = distance(rowsHigh, dim, a, b);
        low[a * m + b] = low[b * m + a] = distance(rowsLow, d, a, b);
      }
      high[a * m + a] = Infinity;
      low[a * m + a] = Infinity;
    }
  let sum = 0;
  for (let a = 0; a < m; a++) {
    let highRow: Float64Array;
    let lowRow: Float64Array;
    if (pairwise) {
      highRow = high.subarray(a * m, (a + 1) * m);
      lowRow = low.subarray(a * m, (a + 1) * m);
    } else {
      for (let b = 0; b < m; b++) {
        high[b] = b === a ? Infinity : distance(rowsHigh, dim, a, b);
        low[b] = b === a ? Infinity : distance(rowsLow, d, a, b);
      }
      [highRow, lowRow] = [high, low];
    }
    const near = nearest(highRow, k);
    const nearLow = new Set(nearest(lowRow, k));
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
