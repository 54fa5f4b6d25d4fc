import { totalSquaredDeviation } from './explained-variance';
import { knnPreservation } from './knn-preservation';
import { computeProjection, toMatrix } from './projection-compute';
import { clusteredData } from './projection-compute.testing';
import type { ProjectionComputeInput, ProjectionMethod } from './projection-compute.types';

const DIM = 32;

function input(method: ProjectionMethod, data: Float32Array, n: number, extra: Partial<ProjectionComputeInput> = {}) {
  return {
    method,
    dimensions: 2 as const,
    n,
    dim: DIM,
    data,
    texts: [],
    seed: 42,
    params: {},
    qualityMaxPoints: 1_000,
    ...extra,
  };
}

/** Share of points whose nearest projected neighbour has the same true cluster. */
function nearestSameCluster(coords: Float64Array, labels: number[]): number {
  let same = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < labels.length; j++) {
      if (i === j) continue;
      const d = (coords[2 * i] - coords[2 * j]) ** 2 + (coords[2 * i + 1] - coords[2 * j + 1]) ** 2;
      if (d < bestD) [best, bestD] = [j, d];
    }
    if (labels[best] === labels[i]) same++;
  }
  return same / labels.length;
}

describe('computeProjection', () => {
  const { data, labels, n } = clusteredData(3, 40, DIM);

  it('should keep clusters apart with PCA and measure explained variance and kNN preservation', () => {
    const out = computeProjection(input('pca', data, n));
    expect(out.coords).toHaveLength(n * 2);
    expect(nearestSameCluster(out.coords, labels)).toBe(1);
    // Three well separated centres span two directions: two components hold most of the variance.
    expect(out.explainedVariance!.total).toBeGreaterThan(0.8);
    expect(out.explainedVariance!.perComponent[0]).toBeGreaterThanOrEqual(out.explainedVariance!.perComponent[1]);
    expect(out.knn.k).toBe(10);
    expect(out.knn.evaluatedPoints).toBe(n);
    expect(out.knn.score).toBeGreaterThan(out.knn.randomBaseline * 2);
  });

  it('should score noise projected by PCA near the random baseline (the metric can fail)', () => {
    const noise = clusteredData(1, 120, DIM, { spread: 1 });
    const out = computeProjection(input('pca', noise.data, noise.n));
    expect(out.explainedVariance!.total).toBeLessThan(0.3);
    expect(out.knn.score).toBeLessThan(0.4);
  });

  it('should run UMAP epoch by epoch with progress, reproducibly for a seed', () => {
    const progress: number[] = [];
    const a = computeProjection(input('umap', data, n, { params: { epochs: 50, neighbors: 10 } }), (p) => {
      if (p.stage === 'projecting') progress.push(p.value);
    });
    expect(progress).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(a.explainedVariance).toBeUndefined();
    expect(nearestSameCluster(a.coords, labels)).toBeGreaterThan(0.95);
    expect(a.knn.score).toBeGreaterThan(a.knn.randomBaseline * 3);
    const b = computeProjection(input('umap', data, n, { params: { epochs: 50, neighbors: 10 } }));
    expect(Array.from(b.coords)).toEqual(Array.from(a.coords));
  });

  it('should run t-SNE iteration by iteration and keep the clusters', () => {
    const seen: number[] = [];
    const out = computeProjection(input('tsne', data, n, { params: { iterations: 100, perplexity: 10 } }), (p) => {
      if (p.stage === 'projecting') seen.push(p.value);
    });
    expect(seen).toHaveLength(100);
    expect(nearestSameCluster(out.coords, labels)).toBeGreaterThan(0.95);
  });

  it('should find the clusters with k-means and label them by their distinctive terms', () => {
    const words = ['comet orbit telescope', 'stock bond dividend', 'violin sonata orchestra'];
    const texts = labels.map((c) => `the ${words[c]} report`);
    const out = computeProjection(input('pca', data, n, { texts, params: { clusters: 3 } }));
    const clusterOf = Array.from(out.clusterOf!);
    // The same partition as the truth, whatever the cluster numbers.
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) expect(clusterOf[i] === clusterOf[j]).toBe(labels[i] === labels[j]);
    const byTruth = labels.map((c, i) => [c, out.clusterTerms![clusterOf[i]]] as const);
    for (const [c, terms] of byTruth) {
      expect(terms.sort()).toEqual(words[c].split(' ').sort());
      expect(terms).not.toContain('report');
    }
  });

  it('should read the total variance in the pass that fills the matrix, as the two-pass sum gives it', () => {
    const { matrix, totalSquaredDeviation: onePass } = toMatrix(input('pca', data, n));
    expect(matrix.shape).toEqual([n, DIM]);
    expect(Array.from(matrix.values)).toEqual(Array.from(data));
    expect(onePass).toBeCloseTo(totalSquaredDeviation(data, n, DIM), 6);
  });

  it('should score kNN preservation the same from the pairwise table and row by row', () => {
    const coords = computeProjection(input('pca', data, n)).coords;
    const options = { k: 5, maxPoints: 100, seed: 3 };
    const table = knnPreservation(data, n, DIM, coords, 2, options);
    const rows = knnPreservation(data, n, DIM, coords, 2, { ...options, pairwiseMax: 10 });
    expect(rows).toEqual(table);
    expect(table.evaluatedPoints).toBe(100);
  });
});
