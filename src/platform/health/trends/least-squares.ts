/** A point of a time series: `t` in epoch ms. */
export interface TrendPoint {
  t: number;
  v: number;
}

/** Ordinary least-squares line through the points; slope per ms. Undefined with < 2 distinct times. */
export function leastSquares(points: readonly TrendPoint[]): { slope: number; intercept: number } | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  const t0 = points[0].t; // centre on the first point: epoch ms squared loses precision
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const x = p.t - t0;
    sx += x;
    sy += p.v;
    sxx += x * x;
    sxy += x * p.v;
  }
  const denom = n * sxx - sx * sx;
  if (denom === 0) return undefined;
  const slope = (n * sxy - sx * sy) / denom;
  return { slope, intercept: (sy - slope * sx) / n - slope * t0 };
}

/** What a fitted trend predicts about one threshold. */
export interface CrossingPrediction {
  /** The fitted value at `now`. */
  fitted: number;
  /** Change per minute. */
  slopePerMin: number;
  /** Ms from `now` until the fitted line reaches the threshold: 0 if already at or over it, null if never. */
  etaMs: number | null;
}

/** Fits a line and extrapolates when it reaches `threshold` (rising series only). */
export function predictCrossing(
  points: readonly TrendPoint[],
  threshold: number,
  now: number,
): CrossingPrediction | undefined {
  const line = leastSquares(points);
  if (!line) return undefined;
  const fitted = line.intercept + line.slope * now;
  const slopePerMin = line.slope * 60_000;
  // Over the threshold and not falling: crossed already. Falling back from it: recovering, no crossing.
  if (fitted >= threshold) return { fitted, slopePerMin, etaMs: line.slope >= 0 ? 0 : null };
  if (line.slope <= 0) return { fitted, slopePerMin, etaMs: null };
  return { fitted, slopePerMin, etaMs: (threshold - fitted) / line.slope };
}

/** Exponentially weighted moving average of each prefix: out[i] = α·v[i] + (1−α)·out[i−1]. */
export function ewmaSeries(points: readonly TrendPoint[], alpha: number): TrendPoint[] {
  let acc: number | undefined;
  return points.map((p) => {
    acc = acc === undefined ? p.v : alpha * p.v + (1 - alpha) * acc;
    return { t: p.t, v: acc };
  });
}
