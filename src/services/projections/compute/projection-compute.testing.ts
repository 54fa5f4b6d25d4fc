import { Randomizer } from '@saehrimnir/druidjs';

/**
 * `perCluster` points around each of `clusters` random unit centres in `dim` dimensions, with
 * Gaussian noise of `spread` per coordinate: data with a known cluster structure. Row-major.
 */
export function clusteredData(
  clusters: number,
  perCluster: number,
  dim: number,
  options: { spread?: number; seed?: number } = {},
): { data: Float32Array; labels: number[]; n: number } {
  const random = new Randomizer(options.seed ?? 7);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random.random)) * Math.cos(2 * Math.PI * random.random);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => gauss() * 2));
  const n = clusters * perCluster;
  const data = new Float32Array(n * dim);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    labels.push(c);
    for (let j = 0; j < dim; j++) data[i * dim + j] = centres[c][j] + gauss() * (options.spread ?? 0.3);
  }
  return { data, labels, n };
}
