import { RequestValidationError } from '../../../platform/errors';

export const IMAGE_OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type ImageOutputFormat = (typeof IMAGE_OUTPUT_FORMATS)[number];
export const IMAGE_QUALITIES = ['auto', 'low', 'medium', 'high', 'standard', 'hd'] as const;
export type ImageQuality = (typeof IMAGE_QUALITIES)[number];

/** OpenAI's model names: they mean "the configured default checkpoint" here. */
export const OPENAI_IMAGE_MODELS = ['dall-e-2', 'dall-e-3', 'gpt-image-1', 'gpt-image-1-mini', 'gpt-image-1.5'];

/** A checked `POST /v1/images/generations` body. */
export interface ImageGenerationRequest {
  prompt: string;
  /** A checkpoint; undefined for OpenAI's model names (the default checkpoint). */
  model?: string;
  n: number;
  width?: number;
  height?: number;
  responseFormat?: 'url' | 'b64_json';
  outputFormat: ImageOutputFormat;
  outputCompression?: number;
  quality: ImageQuality;
}

const invalid = (field: string, message: string) =>
  new RequestValidationError(`${field} ${message}`, { fieldErrors: [{ field, message }] });

/**
 * Reads OpenAI's image request by hand rather than through a DTO: OpenAI clients send fields
 * this server has no use for (`user`, `style`, `moderation`), which the global pipe's whitelist
 * would refuse. Fields that would change the answer and cannot be honoured are refused.
 */
export function parseImageGenerationRequest(body: unknown): ImageGenerationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestValidationError('The body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const oneOf = <T extends string>(field: string, allowed: readonly T[]): T | undefined => {
    const v = b[field];
    if (v === undefined || v === null) return undefined;
    if (!allowed.includes(v as T)) throw invalid(field, `must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  if (typeof b.prompt !== 'string' || b.prompt.trim() === '') throw invalid('prompt', 'must be a non-empty string');
  if (b.prompt.length > 32_000) throw invalid('prompt', 'must be at most 32000 characters');
  let model: string | undefined;
  if (b.model !== undefined && b.model !== null) {
    if (typeof b.model !== 'string' || b.model === '') throw invalid('model', 'must be a model name');
    model = OPENAI_IMAGE_MODELS.includes(b.model) ? undefined : b.model;
  }
  const n = b.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 10)
    throw invalid('n', 'must be an integer from 1 to 10');
  let width: number | undefined;
  let height: number | undefined;
  if (b.size !== undefined && b.size !== null && b.size !== 'auto') {
    const m = typeof b.size === 'string' ? /^(\d{1,5})x(\d{1,5})$/.exec(b.size) : null;
    if (!m) throw invalid('size', 'must be auto or WIDTHxHEIGHT, e.g. 1024x1024');
    [width, height] = [Number(m[1]), Number(m[2])];
  }
  const compression = b.output_compression;
  if (compression !== undefined && compression !== null) {
    if (typeof compression !== 'number' || !Number.isInteger(compression) || compression < 0 || compression > 100) {
      throw invalid('output_compression', 'must be an integer from 0 to 100');
    }
  }
  if (b.stream === true) throw invalid('stream', 'streaming image generation is not served here; leave stream unset');
  if (b.background === 'transparent')
    throw invalid('background', 'transparent backgrounds are not supported; use opaque or auto');
  return {
    prompt: b.prompt,
    model,
    n,
    width,
    height,
    responseFormat: oneOf('response_format', ['url', 'b64_json'] as const),
    outputFormat: oneOf('output_format', IMAGE_OUTPUT_FORMATS) ?? 'png',
    outputCompression: typeof compression === 'number' ? compression : undefined,
    quality: oneOf('quality', IMAGE_QUALITIES) ?? 'auto',
  };
}

/** Sampling steps for OpenAI's `quality`, from the `qualitySteps` setting (low, medium, high). */
export function stepsForQuality(quality: ImageQuality, qualitySteps: number[], fallback: number): number {
  const [low, medium, high] = [qualitySteps[0] ?? fallback, qualitySteps[1] ?? fallback, qualitySteps[2] ?? fallback];
  switch (quality) {
    case 'low':
      return low;
    case 'medium':
    case 'standard':
      return medium;
    case 'high':
    case 'hd':
      return high;
    case 'auto':
      return fallback;
  }
}
