import { IsInt, Max, Min } from 'class-validator';
import { defineEnvNamespace, EnvInt } from '../../platform/config';

class CaptionsEnv {
  /** Longest side (px) of the image sent to a vision model; larger images are downsized (never enlarged). */
  @EnvInt()
  @IsInt()
  @Min(64)
  @Max(4_096)
  CAPTIONS_MAX_IMAGE_SIDE: number = 1_024;

  /** Caption requests running at once per model in this process (single and batch); more wait. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(64)
  CAPTIONS_CONCURRENCY_PER_MODEL: number = 2;

  /** Most images in one batch captioning job (ids given, or matched by the filter). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  CAPTIONS_BATCH_MAX_IMAGES: number = 1_000;

  /** Caption requests per minute per caller (`POST /v1/images/:id/captions`). */
  @EnvInt()
  @IsInt()
  @Min(1)
  CAPTIONS_PER_MINUTE: number = 60;
}

export const captionsConfig = defineEnvNamespace('captions', CaptionsEnv, (env) => ({
  maxImageSide: env.CAPTIONS_MAX_IMAGE_SIDE,
  concurrencyPerModel: env.CAPTIONS_CONCURRENCY_PER_MODEL,
  batchMaxImages: env.CAPTIONS_BATCH_MAX_IMAGES,
  perMinute: env.CAPTIONS_PER_MINUTE,
}));
export type CaptionsConfig = ReturnType<typeof captionsConfig>;
