import { IsBoolean, IsIn, IsInt, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { defineEnvNamespace, EnvBoolean, EnvInt, EnvList } from '../../platform/config';
import { UPSTREAM_STRATEGIES, type UpstreamStrategyName } from '../../platform/upstream';

class DiffusionEnv {
  /**
   * AUTOMATIC1111 / Forge web UIs started with `--api`, comma-separated. Empty: the `diffusion`
   * service runs DOWN and its routes answer 503.
   */
  @EnvList()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { each: true })
  DIFFUSION_URLS: string[] = [];

  /** How jobs are spread over idle instances (each instance runs one generation at a time). */
  @IsIn(UPSTREAM_STRATEGIES)
  DIFFUSION_STRATEGY: UpstreamStrategyName = 'round-robin';

  /** `GET /sdapi/v1/progress` is polled this often while a generation runs (job progress events). */
  @EnvInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  DIFFUSION_PROGRESS_INTERVAL_MS: number = 500;

  /** Send the upstream's preview image (`current_image`) with progress events. */
  @EnvBoolean()
  @IsBoolean()
  DIFFUSION_PREVIEWS: boolean = false;

  /** Every instance is probed (`GET /sdapi/v1/progress`) this often. */
  @EnvInt()
  @IsInt()
  @Min(500)
  @Max(300_000)
  DIFFUSION_HEALTH_INTERVAL_MS: number = 10_000;

  /** Models, samplers and schedulers of the instances are cached this long. */
  @EnvInt()
  @IsInt()
  @Min(0)
  DIFFUSION_CATALOG_TTL_MS: number = 60_000;

  /** Longest one generation may take on an instance (then it is interrupted and the job fails). */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  DIFFUSION_GENERATION_TIMEOUT_MS: number = 600_000;

  /** Smallest width or height (pixels; sizes are multiples of 8). */
  @EnvInt()
  @IsInt()
  @Min(8)
  DIFFUSION_MIN_SIZE: number = 64;

  /** Largest width or height (pixels). */
  @EnvInt()
  @IsInt()
  @Min(8)
  @Max(16_384)
  DIFFUSION_MAX_SIZE: number = 2_048;

  /** Most sampling steps a request may ask for. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  DIFFUSION_MAX_STEPS: number = 150;

  /** Most images one prompt may produce (`batch_size × n_iter`). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100)
  DIFFUSION_MAX_IMAGES_PER_PROMPT: number = 8;

  /** Most prompts in one `POST /v1/diffusion/jobs`. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  DIFFUSION_MAX_PROMPTS: number = 100;

  /** Generation requests per caller per minute (`POST /v1/diffusion/jobs`, `POST /v1/images/generations`). */
  @EnvInt()
  @IsInt()
  @Min(1)
  DIFFUSION_REQUESTS_PER_MINUTE: number = 60;

  /**
   * ComfyUI template (e.g. `text2img`) that serves `POST /v1/images/generations` instead of the
   * AUTOMATIC1111 / Forge instances, for every model not routed by IMAGES_GENERATIONS_COMFY_MODELS
   * (a checkpoint named as the model goes to the template's `checkpoint` parameter). Empty: the
   * diffusion instances serve them.
   */
  @IsString()
  @Matches(/^[A-Za-z0-9._:-]*$/)
  IMAGES_GENERATIONS_COMFY_TEMPLATE: string = '';

  /**
   * `model=template` pairs, comma-separated (e.g. `sdxl-comfy=text2img,poster=my-poster`):
   * `POST /v1/images/generations` requests naming such a model run that ComfyUI template.
   */
  @EnvList()
  @Matches(/^[^=\s]+=[A-Za-z0-9._:-]+$/, { each: true, message: 'each entry must be model=template' })
  IMAGES_GENERATIONS_COMFY_MODELS: string[] = [];
}

export const diffusionConfig = defineEnvNamespace('diffusion', DiffusionEnv, (env) => ({
  instances: [...new Set(env.DIFFUSION_URLS)].map((url) => ({ url })),
  strategy: env.DIFFUSION_STRATEGY,
  progressIntervalMs: env.DIFFUSION_PROGRESS_INTERVAL_MS,
  previews: env.DIFFUSION_PREVIEWS,
  healthIntervalMs: env.DIFFUSION_HEALTH_INTERVAL_MS,
  catalogTtlMs: env.DIFFUSION_CATALOG_TTL_MS,
  generationTimeoutMs: env.DIFFUSION_GENERATION_TIMEOUT_MS,
  minSize: env.DIFFUSION_MIN_SIZE,
  maxSize: Math.max(env.DIFFUSION_MIN_SIZE, env.DIFFUSION_MAX_SIZE),
  maxSteps: env.DIFFUSION_MAX_STEPS,
  maxImagesPerPrompt: env.DIFFUSION_MAX_IMAGES_PER_PROMPT,
  maxPrompts: env.DIFFUSION_MAX_PROMPTS,
  requestsPerMinute: env.DIFFUSION_REQUESTS_PER_MINUTE,
  comfyTemplate: env.IMAGES_GENERATIONS_COMFY_TEMPLATE || undefined,
  comfyTemplatesByModel: new Map(
    env.IMAGES_GENERATIONS_COMFY_MODELS.map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)] as const;
    }),
  ),
}));
export type DiffusionConfig = ReturnType<typeof diffusionConfig>;
