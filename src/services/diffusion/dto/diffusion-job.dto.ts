import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { JobDto } from '../../../platform/jobs';

export class DiffusionPromptDto {
  /** What to draw. */
  @IsString()
  @MinLength(1)
  @MaxLength(10000)
  prompt: string;

  /** What to keep out of the image. */
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  negative_prompt?: string;

  /** This prompt's seed; -1 or absent: the request's seed, else random. */
  @IsOptional()
  @IsInt()
  @Min(-1)
  @Max(4294967295)
  seed?: number;
}

/** `POST /v1/diffusion/jobs`: one prompt, or several run in parallel (one job each) or in sequence (one job). */
export class DiffusionJobRequestDto {
  /** One prompt (or give `prompts`). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(10000)
  prompt?: string;

  /** Negative prompt of `prompt`. */
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  negative_prompt?: string;

  /** Several prompts (at most DIFFUSION_MAX_PROMPTS), each with its own negative prompt and seed. */
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => DiffusionPromptDto)
  prompts?: DiffusionPromptDto[];

  /** `parallel` (default): one job per prompt, spread over the instances; `sequence`: one job running them in order on one instance. */
  @IsOptional()
  @IsIn(['parallel', 'sequence'])
  mode?: 'parallel' | 'sequence';

  /** Checkpoint (model name, title or short hash; see `GET /v1/diffusion/models`); default: the configured or loaded one. */
  @IsOptional()
  @IsString()
  @MaxLength(300)
  model?: string;

  /** Sampler name or alias, e.g. `Euler a`, `DPM++ 2M`. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  sampler?: string;

  /** Scheduler (A1111 1.9+), e.g. `karras`. */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  scheduler?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  steps?: number;

  @IsOptional()
  @IsNumber()
  @Min(1)
  @Max(30)
  cfg_scale?: number;

  /** Pixels, a multiple of 8 within DIFFUSION_MIN_SIZE..DIFFUSION_MAX_SIZE. */
  @IsOptional()
  @IsInt()
  width?: number;

  @IsOptional()
  @IsInt()
  height?: number;

  /** Seed of every prompt that has none; -1: random. */
  @IsOptional()
  @IsInt()
  @Min(-1)
  @Max(4294967295)
  seed?: number;

  /** Images per sampling pass. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  batch_size?: number;

  /** Sampling passes per prompt. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  n_iter?: number;

  /** img2img: an image of the caller's in the image store. */
  @IsOptional()
  @IsUUID()
  init_image_id?: string;

  /** img2img inpainting mask: an image in the image store (white = repaint). */
  @IsOptional()
  @IsUUID()
  mask_image_id?: string;

  /** img2img: how far from the init image (0 = unchanged, 1 = ignore it). */
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  denoising_strength?: number;
}

/** The jobs a submission created, in prompt order. */
export class DiffusionJobsAcceptedDto {
  mode: 'parallel' | 'sequence';
  /** Follow each at `/jobs/{id}` and `/jobs/{id}/events`; `position` is its place in the queue. */
  jobs: JobDto[];
}
