import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATES, JobProblemDto, JobProgressDto, type JobState } from '../../../platform/jobs';
import { METADATA_PROPERTY, type Metadata } from '../../rag';
import { PROJECTION_METHODS, type ProjectionMethod } from '../compute/projection-compute.types';
import { ProjectionParamsDto } from './create-projection.dto';

export class ProjectionPointDto {
  /** `<documentId>#<chunkIndex>`, as RAG search cites chunks. */
  chunkId: string;
  documentId: string;
  chunkIndex: number;
  x: number;
  y: number;
  /** Present in 3-d projections. */
  z?: number;
  /** Index into `clusters`, when clusters were asked for. */
  cluster?: number;
  title?: string;
  @ApiProperty(METADATA_PROPERTY)
  metadata: Metadata;
  /** The chunk's first characters. */
  excerpt: string;
}

export class ProjectionClusterDto {
  id: number;
  size: number;
  /** Most distinctive terms (TF-IDF against the other clusters), best first. */
  terms: string[];
}

export class ExplainedVarianceDto {
  /** Share of the sample's total variance along each axis. */
  perComponent: number[];
  /** Their sum: the share the projection keeps. */
  total: number;
}

export class KnnPreservationDto {
  /** Neighbours compared per point. */
  k: number;
  /** Points compared (a seeded subsample of at most `qualityMaxPoints`). */
  evaluatedPoints: number;
  /** Mean share of each point's k nearest neighbours (embedding space) kept among its k nearest in the projection; 1 = all. */
  score: number;
  /** What a random layout scores on average (k / (m − 1)). */
  randomBaseline: number;
}

export class ProjectionQualityDto {
  /** PCA only. */
  explainedVariance?: ExplainedVarianceDto;
  knnPreservation: KnnPreservationDto;
}

export class ProjectionTimingsDto {
  sampleMs: number;
  projectMs: number;
  qualityMs: number;
  clusterMs: number;
}

export class ProjectionResultDto {
  /** Corpus version the sample was read at. */
  corpusVersion: string;
  /** Embedded chunks that matched the filter (the sample was drawn from them). */
  candidates: number;
  /** Matching chunks left out: their vectors have another length than the first one's (another model). */
  skippedOtherDimensions: number;
  embeddingDimensions: number;
  points: ProjectionPointDto[];
  clusters?: ProjectionClusterDto[];
  quality: ProjectionQualityDto;
  timings: ProjectionTimingsDto;
  finishedAt: string;
}

export class ProjectionSampleSpecDto {
  size: number;
  seed: number;
}

export const PROJECTION_STATUSES = [...JOB_STATES, 'expired'] as const;
export type ProjectionStatus = JobState | 'expired';

/** A projection without its points (as listed). */
export class ProjectionSummaryDto {
  /** Also the id of the job that computes it (`/jobs/{id}`). */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** The job's state; `expired` when the job record is gone and no result was stored. */
  @ApiProperty({ enum: PROJECTION_STATUSES })
  status: ProjectionStatus;

  @ApiProperty({ enum: PROJECTION_METHODS })
  method: ProjectionMethod;

  @ApiProperty({ enum: [2, 3] })
  dimensions: 2 | 3;

  sample: ProjectionSampleSpecDto;

  @ApiPropertyOptional(METADATA_PROPERTY)
  filter?: Metadata;

  params: ProjectionParamsDto;

  /** The tenant's corpus changed since the sample was read (or, unfinished, since submission). */
  stale: boolean;

  createdAt: string;

  progress?: JobProgressDto;
  problem?: JobProblemDto;

  /** Points in the result. */
  pointCount?: number;
}

export class ProjectionDto extends ProjectionSummaryDto {
  /** True when a POST found this finished (or running) projection in the cache. */
  cached?: boolean;

  result?: ProjectionResultDto;
}

export class ProjectionListDto {
  items: ProjectionSummaryDto[];
}
