import type { Metadata } from '../rag';
import type { KnnPreservation } from './compute/knn-preservation';
import type { ProjectionMethod, ProjectionParams } from './compute/projection-compute.types';

/** A projection request with defaults applied (what the cache key and the job are made of). */
export interface ProjectionRequest {
  method: ProjectionMethod;
  dimensions: 2 | 3;
  sample: { size: number; seed: number };
  filter?: Metadata;
  params: ProjectionParams;
}

/** The job's payload: the request, and whose corpus it reads. */
export interface ProjectionJobPayload {
  tenant: string;
  request: ProjectionRequest;
}

export interface ProjectionPoint {
  /** `<documentId>#<chunkIndex>`, as RAG search cites chunks. */
  chunkId: string;
  documentId: string;
  chunkIndex: number;
  x: number;
  y: number;
  z?: number;
  /** Index into `clusters`, when clusters were asked for. */
  cluster?: number;
  title?: string;
  metadata: Metadata;
  /** The chunk's first characters. */
  excerpt: string;
}

export interface ProjectionCluster {
  id: number;
  size: number;
  /** Its most distinctive terms (TF-IDF against the other clusters), best first. */
  terms: string[];
}

export interface ProjectionQuality {
  /** PCA only: share of the sample's variance the axes keep, per axis and in all. */
  explainedVariance?: { perComponent: number[]; total: number };
  knnPreservation: KnnPreservation;
}

/** What a finished projection holds. */
export interface ProjectionResult {
  /** The corpus version the sample was read at (compare with the current one: `stale`). */
  corpusVersion: string;
  /** Embedded chunks that matched the filter (the sample was drawn from them). */
  candidates: number;
  /** Matching chunks left out because their vectors have another length than the first one's (another model). */
  skippedOtherDimensions: number;
  embeddingDimensions: number;
  points: ProjectionPoint[];
  clusters?: ProjectionCluster[];
  quality: ProjectionQuality;
  timings: { sampleMs: number; projectMs: number; qualityMs: number; clusterMs: number };
  finishedAt: string;
}

/** The stored record of a projection; its id is its job's id. */
export interface ProjectionRecord {
  id: string;
  tenant: string;
  request: ProjectionRequest;
  /** Corpus version when it was submitted (its cache key was made from it). */
  submittedCorpusVersion: string;
  cacheKey: string;
  createdAt: string;
}
