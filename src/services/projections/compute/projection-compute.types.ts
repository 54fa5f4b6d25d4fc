import type { KnnPreservation } from './knn-preservation';

export const PROJECTION_METHODS = ['pca', 'umap', 'tsne'] as const;
export type ProjectionMethod = (typeof PROJECTION_METHODS)[number];

/** Method parameters, each used by the methods named in its comment. */
export interface ProjectionParams {
  /** UMAP: neighbours of the fuzzy graph (default 15). */
  neighbors?: number;
  /** UMAP: minimum distance of points in the layout (default 0.1). */
  minDist?: number;
  /** UMAP: optimisation epochs (default: umap-js's choice, 500 under 10,000 points). */
  epochs?: number;
  /** t-SNE: perplexity (default 30). */
  perplexity?: number;
  /** t-SNE: learning rate (default 10). */
  learningRate?: number;
  /** t-SNE: iterations (default 300). */
  iterations?: number;
  /** All: k-means clusters in the original space, labelled by their terms; 0 or absent: none. */
  clusters?: number;
  /** All: neighbours compared by the kNN-preservation score (default 10). */
  qualityK?: number;
}

/** What the worker thread gets. `data` is n × dim, row-major, on a SharedArrayBuffer (not copied). */
export interface ProjectionComputeInput {
  method: ProjectionMethod;
  dimensions: 2 | 3;
  n: number;
  dim: number;
  data: Float32Array;
  /** Chunk texts, for cluster labels (only sent when clusters are asked for). */
  texts: string[];
  seed: number;
  params: ProjectionParams;
  /** Points compared by the kNN-preservation score at most (a seeded subsample beyond). */
  qualityMaxPoints: number;
  /** BroadcastChannel name progress is posted on (see projection.worker.ts). */
  progressChannel?: string;
}

export interface ProjectionComputeOutput {
  /** n × dimensions, row-major. */
  coords: Float64Array;
  explainedVariance?: { perComponent: number[]; total: number };
  knn: KnnPreservation;
  clusterOf?: Int32Array;
  clusterTerms?: string[][];
  timings: { projectMs: number; qualityMs: number; clusterMs: number };
}

export interface ComputeProgress {
  value: number;
  max: number;
  stage: 'projecting' | 'quality' | 'clustering';
  message: string;
}
