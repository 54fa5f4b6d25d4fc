import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { IsMetadata, METADATA_PROPERTY, type Metadata } from '../../rag';
import { PROJECTION_METHODS, type ProjectionMethod } from '../compute/projection-compute.types';

export class ProjectionSampleDto {
  /** Chunks to sample at most (default: the service's `defaultSampleSize`, capped per method). */
  @IsOptional()
  @IsInt()
  @Min(3)
  @Max(1_000_000)
  size?: number;

  /** Seed of the random sample and of the method (same seed, same corpus: same projection). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  seed?: number;
}

/** Method parameters; each applies to the methods named, others are refused. */
export class ProjectionParamsDto {
  /** UMAP: neighbours of the fuzzy graph (default 15). */
  @IsOptional()
  @IsInt()
  @Min(2)
  @Max(200)
  neighbors?: number;

  /** UMAP: minimum distance between points in the layout (default 0.1). */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  minDist?: number;

  /** UMAP: optimisation epochs (default: umap-js's choice, 500 under 10,000 points). */
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(2_000)
  epochs?: number;

  /** t-SNE: perplexity (default 30, at most a third of the sample). */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(2)
  @Max(100)
  perplexity?: number;

  /** t-SNE: learning rate (default 10). */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(1_000)
  learningRate?: number;

  /** t-SNE: iterations (default 300). */
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(5_000)
  iterations?: number;

  /** Every method: k-means clusters (in the embedding space), labelled by their distinctive terms; 0: none. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  clusters?: number;

  /** Every method: neighbours compared by the kNN-preservation score (default 10). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  qualityK?: number;
}

export class CreateProjectionDto {
  @ApiProperty({ enum: PROJECTION_METHODS, example: 'umap' })
  @IsIn(PROJECTION_METHODS)
  method: ProjectionMethod;

  @ApiPropertyOptional({ enum: [2, 3], default: 2 })
  @IsOptional()
  @IsIn([2, 3])
  dimensions?: 2 | 3;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProjectionSampleDto)
  sample?: ProjectionSampleDto;

  @ApiPropertyOptional({
    ...METADATA_PROPERTY,
    description: 'Only chunks of documents whose metadata has all these values (as in RAG search)',
    example: { team: 'hr' },
  })
  @IsOptional()
  @IsMetadata()
  filter?: Metadata;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProjectionParamsDto)
  params?: ProjectionParamsDto;
}
