import { KMeans, Matrix, PCA, Randomizer, TSNE } from '@saehrimnir/druidjs';
import { UMAP } from 'umap-js';
import { labelClusters } from './cluster-labels';
import { explainedVariance } from './explained-variance';
import { knnPreservation } from './knn-preservation';
import type { ComputeProgress, ProjectionComputeInput, ProjectionComputeOutput } from './projection-compute.types';

const DEFAULT_TSNE_ITERATIONS = 300;
const DEFAULT_QUALITY_K = 10;

/**
 * The sample as a druid Matrix, filled in place from the shared Float32 rows: one conversion to
 * Float64 (druid's element type), not the two copies of `Matrix.from(rows)` (per-row arrays, then
 * the matrix). The same pass sums each column and its squares, which gives the data's total
 * variance (the trace of its covariance) without another pass over n × dim values.
 */
export function toMatrix(input: ProjectionComputeInput): { matrix: Matrix; totalSquaredDeviation: number } {
  const { data, n, dim } = input;
  const matrix = new Matrix(n, dim);
  const values = matrix.values;
  const sum = new Float64Array(dim);
  const squares = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const base = i * dim;
    for (let j = 0; j < dim; j++) {
      const v = data[base + j];
      values[base + j] = v;
      sum[j] += v;
      squares[j] += v * v;
    }
  }
  let total = 0;
  for (let j = 0; j < dim; j++) total += Math.max(0, squares[j] - (sum[j] * sum[j]) / n);
  return { matrix, totalSquaredDeviation: total };
}

function flatten(points: ArrayLike<ArrayLike<number>>, d: number): Float64Array {
  const out = new Float64Array(points.length * d);
  for (let i = 0; i < points.length; i++) for (let j = 0; j < d; j++) out[i * d + j] = points[i][j];
  return out;
}

/** PCA with druid (measured fastest here, docs/performance.md); one step, no intermediate progress. */
export function projectPca(input: ProjectionComputeInput, matrix = toMatrix(input).matrix): Float64Array {
  const y = new PCA(matrix, { d: input.dimensions, seed: input.seed }).transform();
  return y.values;
}

/** UMAP with umap-js, epoch by epoch (its step-wise fit), so progress is reported per epoch. */
export function projectUmap(input: ProjectionComputeInput, progress: (p: ComputeProgress) => void): Float64Array {
  const random = new Randomizer(input.seed);
  const umap = new UMAP({
    nComponents: input.dimensions,
    nNeighbors: Math.min(input.params.neighbors ?? 15, input.n - 1),
    minDist: input.params.minDist ?? 0.1,
    ...(input.params.epochs !== undefined ? { nEpochs: input.params.epochs } : {}),
    random: () => random.random,
  });
  const epochs = umap.initializeFit(Array.from({ length: input.n }, (_, i) => Array.from(rowOf(input, i))));
  for (let e = 0; e < epochs; e++) {
    umap.step();
    progress({ value: e + 1, max: epochs, stage: 'projecting', message: `epoch ${e + 1} of ${epochs}` });
  }
  return flatten(umap.getEmbedding(), input.dimensions);
}

/** t-SNE with druid, iteration by iteration (its generator). */
export function projectTsne(input: ProjectionComputeInput, progress: (p: ComputeProgress) => void): Float64Array {
  const iterations = input.params.iterations ?? DEFAULT_TSNE_ITERATIONS;
  const tsne = new TSNE(toMatrix(input).matrix, {
    d: input.dimensions,
    perplexity: Math.min(input.params.perplexity ?? 30, Math.max(2, Math.floor((input.n - 1) / 3))),
    epsilon: input.params.learningRate ?? 10,
    seed: input.seed,
  });
  let last: Matrix | undefined;
  let i = 0;
  for (const y of tsne.generator(iterations)) {
    last = y;
    i++;
    progress({ value: i, max: iterations, stage: 'projecting', message: `iteration ${i} of ${iterations}` });
  }
  return flatten(last!.to2dArray(), input.dimensions);
}

function rowOf(input: ProjectionComputeInput, i: number): Float32Array {
  return input.data.subarray(i * input.dim, (i + 1) * input.dim);
}

/** The whole computation of one projection: layout, measured quality, optional labelled clusters. */
export function computeProjection(
  input: ProjectionComputeInput,
  progress: (p: ComputeProgress) => void = () => undefined,
): ProjectionComputeOutput {
  const t0 = performance.now();
  let coords: Float64Array;
  let totalSquaredDeviation = 0;
  switch (input.method) {
    case 'pca': {
      progress({ value: 0, max: 1, stage: 'projecting', message: 'principal components' });
      const filled = toMatrix(input);
      totalSquaredDeviation = filled.totalSquaredDeviation;
      coords = projectPca(input, filled.matrix);
      break;
    }
    case 'umap':
      coords = projectUmap(input, progress);
      break;
    case 'tsne':
      coords = projectTsne(input, progress);
      break;
  }
  const t1 = performance.now();
  progress({ value: 0, max: 1, stage: 'quality', message: 'kNN preservation' });
  const d = input.dimensions;
  const knn = knnPreservation(input.data, input.n, input.dim, coords, d, {
    k: input.params.qualityK ?? DEFAULT_QUALITY_K,
    maxPoints: input.qualityMaxPoints,
    seed: input.seed,
  });
  const variance = input.method === 'pca' ? explainedVariance(totalSquaredDeviation, input.n, coords, d) : undefined;
  const t2 = performance.now();
  let clusterOf: Int32Array | undefined;
  let clusterTerms: string[][] | undefined;
  const k = Math.min(input.params.clusters ?? 0, input.n);
  if (k >= 2) {
    progress({ value: 0, max: 1, stage: 'clustering', message: `k-means, k = ${k}` });
    const kmeans = new KMeans(toMatrix(input).matrix, { K: k, seed: input.seed });
    clusterOf = Int32Array.from(kmeans.get_cluster_list());
    clusterTerms = labelClusters(input.texts, clusterOf, k);
  }
  const t3 = performance.now();
  return {
    coords,
    ...(variance ? { explainedVariance: variance } : {}),
    knn,
    ...(clusterOf ? { clusterOf, clusterTerms } : {}),
    timings: { projectMs: t1 - t0, qualityMs: t2 - t1, clusterMs: t3 - t2 },
  };
}
