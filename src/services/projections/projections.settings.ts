import { IsInt, Max, Min } from 'class-validator';

/**
 * Runtime configuration of the `projections` service (`GET/PATCH /config/projections`, or
 * `FENNEC_PROJECTIONS__MAX_POINTS_UMAP` and so on): the most points each method may project (the
 * TensorBoard projector's caps by default), the default sample size and how long results are kept.
 */
export class ProjectionsSettings {
  /** Most points a PCA projection samples. */
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  maxPointsPca: number = 50_000;

  /** Most points a UMAP projection samples (its cost grows faster than linearly). */
  @IsInt()
  @Min(10)
  @Max(100_000)
  maxPointsUmap: number = 5_000;

  /** Most points a t-SNE projection samples (O(n²) per iteration here). */
  @IsInt()
  @Min(10)
  @Max(100_000)
  maxPointsTsne: number = 5_000;

  /** Sample size when a request gives none (capped by the method's maximum). */
  @IsInt()
  @Min(10)
  @Max(1_000_000)
  defaultSampleSize: number = 1_000;

  /** Points compared by the kNN-preservation score at most (a seeded subsample beyond; O(m²·dim)). */
  @IsInt()
  @Min(10)
  @Max(10_000)
  qualityMaxPoints: number = 500;

  /** How long a projection (and its cache entry) is kept after it was created, in ms. */
  @IsInt()
  @Min(60_000)
  retentionMs: number = 7 * 24 * 3_600_000;

  /** Projections listed per tenant at most (older ones drop off the list; their results expire with retention). */
  @IsInt()
  @Min(1)
  @Max(10_000)
  maxListed: number = 200;
}
