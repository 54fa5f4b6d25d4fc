/**
 * Share of the data's total variance that the projected coordinates keep, per axis and in all:
 * for PCA (orthonormal components) the variance along a component over the sum of the input's
 * column variances. Measured from the data, not taken from the library: `totalSquaredDeviation`
 * is the sum over columns of the squared deviations from the column means (n times the trace of
 * the covariance), computed while the sample is read (`toMatrix`, or `totalSquaredDeviation` here).
 */
export function explainedVariance(
  totalSquaredDeviation: number,
  n: number,
  coords: Float64Array,
  d: number,
): { perComponent: number[]; total: number } {
  const perComponent: number[] = [];
  for (let a = 0; a < d; a++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += coords[i * d + a];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (coords[i * d + a] - m) ** 2;
    perComponent.push(totalSquaredDeviation > 0 ? v / totalSquaredDeviation : 0);
  }
  return { perComponent, total: perComponent.reduce((s, v) => s + v, 0) };
}

/** Sum over columns of the squared deviations from the column means (two passes: mean, then deviations). */
export function totalSquaredDeviation(data: Float32Array, n: number, dim: number): number {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += data[i * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= n;
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const c = data[i * dim + j] - mean[j];
      total += c * c;
    }
  return total;
}
