import type { FieldError } from '../../platform/errors';
import type { A1111Checkpoint } from './a1111.types';
import { type DiffusionCatalogEntries, findSampler, findScheduler, namesCheckpoint } from './diffusion-catalog';
import type { DiffusionConfig } from './diffusion.config';
import { DiffusionInvalidRequestError } from './diffusion.errors';
import type { DiffusionSettings } from './diffusion.settings';

/** One prompt of a generation request. */
export interface PromptInput {
  prompt: string;
  negative_prompt?: string;
  seed?: number;
}

/** A generation request, from the native route or the OpenAI-compatible one, before checking. */
export interface GenerationInput {
  prompts: PromptInput[];
  model?: string;
  sampler?: string;
  scheduler?: string;
  steps?: number;
  cfg_scale?: number;
  width?: number;
  height?: number;
  seed?: number;
  batch_size?: number;
  n_iter?: number;
  init_image_id?: string;
  mask_image_id?: string;
  denoising_strength?: number;
}

/** The checked settings every prompt of a job is generated with. */
export interface GenerationParams {
  route: 'txt2img' | 'img2img';
  /** The checkpoint asked for; absent: the instance's loaded one. */
  model?: Pick<A1111Checkpoint, 'title' | 'model_name' | 'hash'>;
  sampler_name: string;
  scheduler?: string;
  steps: number;
  cfg_scale: number;
  width: number;
  height: number;
  batch_size: number;
  n_iter: number;
  init_image_id?: string;
  mask_image_id?: string;
  denoising_strength?: number;
}

/** A job's payload: prompts run in order on one instance with the same settings. */
export interface GenerationJobPayload {
  params: GenerationParams;
  prompts: Required<PromptInput>[];
}

/**
 * Checks a request against the configured bounds, the allow-list and what the instances offer
 * (models, samplers, schedulers), and names every bad field at once. Sizes are multiples of 8:
 * Stable Diffusion's latent space is an eighth of the image in each direction.
 */
export function planGeneration(
  input: GenerationInput,
  catalog: DiffusionCatalogEntries,
  settings: DiffusionSettings,
  config: DiffusionConfig,
): GenerationParams {
  const errors: FieldError[] = [];
  const bad = (field: string, message: string) => errors.push({ field, message });
  const width = input.width ?? 512;
  const height = input.height ?? 512;
  for (const [field, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v % 8 !== 0 || v < config.minSize || v > config.maxSize) {
      bad(field, `must be a multiple of 8 from ${config.minSize} to ${config.maxSize}`);
    }
  }
  const steps = input.steps ?? settings.defaultSteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > config.maxSteps) bad('steps', `must be 1 to ${config.maxSteps}`);
  const cfg = input.cfg_scale ?? 7;
  if (!(cfg >= 1 && cfg <= 30)) bad('cfg_scale', 'must be from 1 to 30');
  const batch = input.batch_size ?? 1;
  const iterations = input.n_iter ?? 1;
  if (batch * iterations > config.maxImagesPerPrompt) {
    bad(
      'batch_size',
      `batch_size × n_iter must be at most ${config.maxImagesPerPrompt} (DIFFUSION_MAX_IMAGES_PER_PROMPT)`,
    );
  }
  if (input.prompts.length > config.maxPrompts) bad('prompts', `at most ${config.maxPrompts} prompts per request`);
  if (input.prompts.length === 0) bad('prompt', 'give prompt or prompts');

  const samplerName = input.sampler ?? settings.defaultSampler;
  const sampler = findSampler(catalog.samplers, samplerName);
  if (!sampler)
    bad(
      'sampler',
      `unknown sampler ${JSON.stringify(samplerName)}; known: ${catalog.samplers.map((s) => s.name).join(', ')}`,
    );
  let scheduler: string | undefined;
  if (input.scheduler !== undefined) {
    scheduler = findScheduler(catalog.schedulers, input.scheduler)?.name;
    if (!scheduler)
      bad(
        'scheduler',
        `unknown scheduler ${JSON.stringify(input.scheduler)}; known: ${catalog.schedulers.map((s) => s.name).join(', ') || 'none'}`,
      );
  }
  const model = resolveModel(input.model ?? (settings.defaultModel || undefined), catalog, settings, bad);
  if (input.mask_image_id !== undefined && input.init_image_id === undefined)
    bad('mask_image_id', 'needs init_image_id');
  if (input.denoising_strength !== undefined && !(input.denoising_strength >= 0 && input.denoising_strength <= 1)) {
    bad('denoising_strength', 'must be from 0 to 1');
  }
  if (errors.length > 0) {
    throw new DiffusionInvalidRequestError(errors.map((e) => `${e.field} ${e.message}`).join('; '), {
      fieldErrors: errors,
    });
  }
  const img2img = input.init_image_id !== undefined;
  return {
    route: img2img ? 'img2img' : 'txt2img',
    ...(model ? { model: { title: model.title, model_name: model.model_name, hash: model.hash ?? null } } : {}),
    sampler_name: sampler!.name,
    ...(scheduler ? { scheduler } : {}),
    steps,
    cfg_scale: cfg,
    width,
    height,
    batch_size: batch,
    n_iter: iterations,
    ...(img2img
      ? {
          init_image_id: input.init_image_id,
          ...(input.mask_image_id ? { mask_image_id: input.mask_image_id } : {}),
          denoising_strength: input.denoising_strength ?? 0.75,
        }
      : {}),
  };
}

/** Checkpoints callers may use: every one the instances have, or those the allow-list names. */
export function allowedModels(catalog: DiffusionCatalogEntries, settings: DiffusionSettings): A1111Checkpoint[] {
  const allow = settings.allowedModels;
  return allow.length === 0 ? catalog.models : catalog.models.filter((m) => allow.some((a) => namesCheckpoint(m, a)));
}

function resolveModel(
  name: string | undefined,
  catalog: DiffusionCatalogEntries,
  settings: DiffusionSettings,
  bad: (field: string, message: string) => void,
): A1111Checkpoint | undefined {
  if (name === undefined) return undefined;
  const found = catalog.models.find((m) => namesCheckpoint(m, name));
  const allowed = allowedModels(catalog, settings);
  if (!found) {
    bad('model', `unknown model ${JSON.stringify(name)}; available: ${allowed.map((m) => m.model_name).join(', ')}`);
    return undefined;
  }
  if (!allowed.includes(found)) {
    bad(
      'model',
      `model ${JSON.stringify(name)} is not allowed here; allowed: ${allowed.map((m) => m.model_name).join(', ')}`,
    );
    return undefined;
  }
  return found;
}

/** The prompts of a request, each with its own seed (given, or the request's, or -1: random). */
export function promptsOf(input: GenerationInput): Required<PromptInput>[] {
  return input.prompts.map((p) => ({
    prompt: p.prompt,
    negative_prompt: p.negative_prompt ?? '',
    seed: p.seed ?? input.seed ?? -1,
  }));
}
