import { Body, Controller, HttpCode, Inject, Post, Req, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { type Caller, CurrentCaller } from '../../../platform/context';
import { FennecError, type ErrorKind } from '../../../platform/errors';
import { abortOnDisconnect } from '../../../platform/http';
import { JobsService, type JobProblem } from '../../../platform/jobs';
import { ServiceRoute } from '../../../platform/registry';
import { FlagOnlyInput } from '../../../platform/security';
import { IMAGE_STORE, type ImageStore, ImageSignedUrls } from '../../images';
import { OpenAiErrorFilter } from '../../llm';
import type { GenerationJobResult } from '../diffusion-generation.job';
import { GenerationRateLimit } from '../diffusion-route-limits';
import { DiffusionSubmitter } from '../diffusion-submitter';
import { DIFFUSION_SERVICE, DiffusionGateway } from '../diffusion.service';
import { parseImageGenerationRequest, stepsForQuality } from './image-generation-request';

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
 * OpenAI-compatible `POST /v1/images/generations`, served by the diffusion gateway: the request
 * becomes one `diffusion.generate` job (its `n` images in one batch on one instance), the answer
 * waits for it and carries the stored images as base64 or as signed, expiring URLs of the image
 * store. A client that goes away cancels the job. Errors in OpenAI's dialect.
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
  ) {}

  @Post()
  @HttpCode(200)
  @GenerationRateLimit()
  @ApiOperation({
    operationId: 'openAiCreateImage',
    summary: 'OpenAI-compatible image generation on the diffusion instances; images also land in the image store',
  })
  @ApiBody(IMAGES_BODY)
  @ApiOkResponse({ description: '{ created, data: [{ b64_json } | { url }], output_format, quality, size }' })
  async create(@Body() body: unknown, @CurrentCaller() caller: Caller, @Req() req: Request) {
    const r = parseImageGenerationRequest(body);
    const settings = this.gateway.settings();
    const size = this.gateway.config.maxSize;
    const width = r.width ?? Math.min(1024, size);
    const height = r.height ?? Math.min(1024, size);
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
    const result = await this.await(submitted.job.id, caller, abortOnDisconnect(req));
    const responseFormat = r.responseFormat ?? settings.defaultResponseFormat;
    const images = result.items.flatMap((i) => i.images);
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
      size: `${width}x${height}`,
      background: 'opaque',
    };
  }

  /** Follows the job to its end; the client leaving cancels it. */
  private async await(id: string, caller: Caller, signal: AbortSignal): Promise<GenerationJobResult> {
    const onAbort = () => void this.jobs.cancel(id, caller).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const _event of this.jobs.follow(id, caller, 0, signal)) {
        // Only the end matters here; progress is for /jobs/{id}/events followers.
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    const job = await this.jobs.get(id, caller);
    if (job.state === 'succeeded') return job.result as GenerationJobResult;
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
