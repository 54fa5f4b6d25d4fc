import { Body, Controller, HttpCode, Inject, Optional, Post, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { type Caller, CurrentCaller } from '../../../platform/context';
import { FennecError, type ErrorKind } from '../../../platform/errors';
import { abortOnDisconnect } from '../../../platform/http';
import { type JobRecord, JobsService, type JobProblem } from '../../../platform/jobs';
import { ServiceRoute } from '../../../platform/registry';
import { FlagOnlyInput } from '../../../platform/security';
import { COMFY_JOBS, type ComfyJobResult, type ComfyJobsSubmitter } from '../../comfy';
import { IMAGE_STORE, type ImageStore, ImageSignedUrls } from '../../images';
import { OpenAiErrorFilter } from '../../llm';
import type { GenerationJobResult } from '../diffusion-generation.job';
import { GenerationRateLimit } from '../diffusion-route-limits';
import { DiffusionSubmitter } from '../diffusion-submitter';
import { DIFFUSION_SERVICE, DiffusionGateway } from '../diffusion.service';
import { DiffusionUnavailableError } from '../diffusion.errors';
import { type ImageGenerationRequest, parseImageGenerationRequest, stepsForQuality } from './image-generation-request';

const IMAGES_BODY = {
  schema: {
    type: 'object',
    required: ['prompt'],
    properties: {
      prompt: { type: 'string', maxLength: 32000 },
      model: { type: 'string', description: 'A checkpoint, or an OpenAI model name for the default checkpoint' },
      n: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
      size: { type: 'string', example: '1024x1024', description: 'auto or WIDTHxHEIGHT (multiples of 8)' },
      response_format: { type: 'string', enum: ['url', 'b64_json'] },
      output_format: { type: 'string', enum: ['png', 'jpeg', 'webp'], default: 'png' },
      output_compression: { type: 'integer', minimum: 0, maximum: 100 },
      quality: { type: 'string', enum: ['auto', 'low', 'medium', 'high', 'standard', 'hd'] },
    },
  },
  description: "OpenAI's image generation request",
};

/** A job's problem, raised again with its own code and status on the route that waited for it. */
class GenerationJobProblem extends FennecError {
  readonly code: string;
  readonly kind: ErrorKind;
  constructor(problem: JobProblem) {
    super(problem.detail);
    this.code = problem.code;
    this.kind = KIND_BY_STATUS[problem.status] ?? 'bad_gateway';
  }
}
const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid',
  404: 'not_found',
  409: 'conflict',
  503: 'unavailable',
  504: 'timeout',
  502: 'bad_gateway',
};

/**
 * OpenAI-compatible `POST /v1/images/generations`, served by the diffusion gateway or, for the
 * models IMAGES_GENERATIONS_COMFY_MODELS / IMAGES_GENERATIONS_COMFY_TEMPLATE route there, by a
 * ComfyUI template. On the gateway the request becomes one `diffusion.generate` job (its `n`
 * images in one batch on one instance); on ComfyUI one `comfy.workflow` job (`n` as the template's
 * `batchSize`, or `n` jobs when it has none). The answer waits for the jobs and carries the stored
 * images as base64 or as signed, expiring URLs of the image store. A client that goes away cancels
 * the jobs. Errors in OpenAI's dialect.
 */
@ApiTags('diffusion-openai')
@ServiceRoute(DIFFUSION_SERVICE)
@UseFilters(OpenAiErrorFilter)
@FlagOnlyInput('body.prompt')
@Controller({ path: 'images/generations', version: '1' })
export class ImagesGenerationsController {
  constructor(
    private readonly gateway: DiffusionGateway,
    private readonly submitter: DiffusionSubmitter,
    private readonly jobs: JobsService,
    private readonly signedUrls: ImageSignedUrls,
    @Inject(IMAGE_STORE) private readonly images: ImageStore,
    @Optional() @Inject(COMFY_JOBS) private readonly comfy?: ComfyJobsSubmitter,
  ) {}

  @Post()
  @HttpCode(200)
  @GenerationRateLimit()
  @ApiOperation({
    operationId: 'openAiCreateImage',
    summary:
      'OpenAI-compatible image generation on the diffusion instances or a configured ComfyUI template; images also land in the image store',
  })
  @ApiBody(IMAGES_BODY)
  @ApiOkResponse({ description: '{ created, data: [{ b64_json } | { url }], output_format, quality, size }' })
  async create(@Body() body: unknown, @CurrentCaller() caller: Caller, @Req() req: Request) {
    const r = parseImageGenerationRequest(body);
    const settings = this.gateway.settings();
    const signal = abortOnDisconnect(req);
    const template = this.comfyTemplateFor(r.model);
    let width: number | undefined;
    let height: number | undefined;
    let images: { id: string }[];
    if (template !== undefined) {
      ({ width, height, images } = await this.generateOnComfy(template, r, caller, signal));
    } else {
      const size = this.gateway.config.maxSize;
      width = r.width ?? Math.min(1024, size);
      height = r.height ?? Math.min(1024, size);
      const [submitted] = await this.submitter.submit(
        {
          prompts: [{ prompt: r.prompt }],
          model: r.model,
          steps: stepsForQuality(r.quality, settings.qualitySteps, settings.defaultSteps),
          width,
          height,
          batch_size: r.n,
        },
        'sequence',
        caller,
      );
      const [result] = await this.awaitAll<GenerationJobResult>([submitted.job.id], caller, signal);
      images = result.items.flatMap((i) => i.images);
    }
    const responseFormat = r.responseFormat ?? settings.defaultResponseFormat;
    const origin = `${req.protocol}://${req.get('host')}`;
    const data = await Promise.all(
      images.map(async (image) => {
        if (responseFormat === 'url') {
          const format = r.outputFormat === 'png' ? undefined : r.outputFormat;
          return { url: `${origin}${this.signedUrls.path(caller.tenant, image.id, { format })}` };
        }
        const bytes = await readFile(await this.images.originalPath(caller.tenant, image.id));
        return { b64_json: (await this.encode(bytes, r.outputFormat, r.outputCompression)).toString('base64') };
      }),
    );
    return {
      created: Math.floor(Date.now() / 1000),
      data,
      output_format: r.outputFormat,
      quality: r.quality,
      size: width === undefined || height === undefined ? 'auto' : `${width}x${height}`,
      background: 'opaque',
    };
  }

  /** The ComfyUI template configured for a request's model, if any. */
  private comfyTemplateFor(model: string | undefined): string | undefined {
    const { comfyTemplatesByModel, comfyTemplate } = this.gateway.config;
    return (model === undefined ? undefined : comfyTemplatesByModel.get(model)) ?? comfyTemplate;
  }

  /**
   * Runs the request as `comfy.workflow` jobs of a template: OpenAI's fields go to the template's
   * named parameters it has (`prompt`, `width`/`height` from `size`, `steps` from `quality`,
   * `batchSize` from `n`, a fresh `seed`, a checkpoint named as the model to `checkpoint`).
   */
  private async generateOnComfy(
    template: string,
    r: ImageGenerationRequest,
    caller: Caller,
    signal: AbortSignal,
  ): Promise<{ width?: number; height?: number; images: { id: string }[] }> {
    if (!this.comfy) {
      throw new DiffusionUnavailableError(
        `Image generation for this model is configured on ComfyUI template ${template}, but the comfy service is not part of this app`,
      );
    }
    const declared = await this.comfy.templateParams(caller.tenant, template);
    const params: Record<string, unknown> = { prompt: r.prompt };
    const set = (name: string, value: unknown) => {
      if (value !== undefined && name in declared) params[name] = value;
    };
    set('width', r.width);
    set('height', r.height);
    if (r.quality !== 'auto') {
      const fallback = typeof declared.steps?.default === 'number' ? declared.steps.default : 20;
      set('steps', stepsForQuality(r.quality, this.gateway.settings().qualitySteps, fallback));
    }
    if (r.model !== undefined && !this.gateway.config.comfyTemplatesByModel.has(r.model)) set('checkpoint', r.model);
    const batched = 'batchSize' in declared;
    if (batched) set('batchSize', r.n);
    // Without a seed parameter every job of the template would draw the same image.
    const seed = () => ('seed' in declared ? { seed: randomInt(0, 2 ** 32) } : {});
    const jobs: JobRecord[] = [];
    try {
      for (let i = 0; i < (batched ? 1 : r.n); i++) {
        jobs.push(await this.comfy.submitTemplate(template, { ...params, ...seed() }, caller));
      }
    } catch (err) {
      for (const job of jobs) void this.jobs.cancel(job.id, caller).catch(() => undefined);
      throw err;
    }
    const results = await this.awaitAll<ComfyJobResult>(
      jobs.map((j) => j.id),
      caller,
      signal,
    );
    const dims = (name: string, given?: number) =>
      given ?? (typeof declared[name]?.default === 'number' ? declared[name].default : undefined);
    return {
      width: 'width' in declared ? dims('width', r.width) : undefined,
      height: 'height' in declared ? dims('height', r.height) : undefined,
      images: results.flatMap((res) => res.images),
    };
  }

  /** Follows the jobs to their end; the client leaving, or one of them failing, cancels the rest. */
  private async awaitAll<T>(ids: string[], caller: Caller, signal: AbortSignal): Promise<T[]> {
    const cancelAll = () => {
      for (const id of ids) void this.jobs.cancel(id, caller).catch(() => undefined);
    };
    // The client may have gone while the jobs were being submitted.
    if (signal.aborted) cancelAll();
    else signal.addEventListener('abort', cancelAll, { once: true });
    try {
      return await Promise.all(ids.map((id) => this.await<T>(id, caller, signal)));
    } catch (err) {
      cancelAll();
      throw err;
    } finally {
      signal.removeEventListener('abort', cancelAll);
    }
  }

  /** Follows one job to its end. */
  private async await<T>(id: string, caller: Caller, signal: AbortSignal): Promise<T> {
    for await (const _event of this.jobs.follow(id, caller, 0, signal)) {
      // Only the end matters here; progress is for /jobs/{id}/events followers.
    }
    const job = await this.jobs.get(id, caller);
    if (job.state === 'succeeded') return job.result as T;
    if (job.problem) throw new GenerationJobProblem(job.problem);
    throw new GenerationJobProblem({
      type: 'about:blank',
      title: 'Bad Gateway',
      status: 502,
      detail: `The generation job ended ${job.state}`,
      code: 'DIFFUSION.JOB_FAILED',
    });
  }

  private encode(bytes: Buffer, format: 'png' | 'jpeg' | 'webp', quality?: number): Promise<Buffer> | Buffer {
    if (format === 'png') return bytes;
    return sharp(bytes)
      .toFormat(format, quality === undefined ? {} : { quality: Math.max(1, quality) })
      .toBuffer();
  }
}
