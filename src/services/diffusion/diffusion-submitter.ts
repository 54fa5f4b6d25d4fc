import { Injectable } from '@nestjs/common';
import type { Caller } from '../../platform/context';
import { type JobRecord, JobsService } from '../../platform/jobs';
import { IMAGE_STORE, type ImageStore } from '../images';
import { Inject } from '@nestjs/common';
import { DIFFUSION_JOB_KIND } from './diffusion-generation.job';
import { DiffusionGateway } from './diffusion.service';
import { DiffusionInvalidRequestError } from './diffusion.errors';
import { type GenerationInput, type GenerationJobPayload, planGeneration, promptsOf } from './generation-plan';

/**
 * Turns a checked generation request into platform jobs: in `parallel` one job per prompt (the
 * jobs spread over the idle instances), in `sequence` one job that runs every prompt in order on
 * one instance. Shared by the native route and the OpenAI-compatible one.
 */
@Injectable()
export class DiffusionSubmitter {
  constructor(
    private readonly gateway: DiffusionGateway,
    private readonly jobs: JobsService,
    @Inject(IMAGE_STORE) private readonly images: ImageStore,
  ) {}

  async submit(
    input: GenerationInput,
    mode: 'parallel' | 'sequence',
    caller: Caller,
    idempotencyKey?: string,
  ): Promise<{ job: JobRecord; created: boolean }[]> {
    this.gateway.servingPool(); // 503 now, not a queued job that cannot run
    const catalog = await this.gateway.catalog.get();
    const params = planGeneration(input, catalog, this.gateway.settings(), this.gateway.config);
    for (const [field, id] of [
      ['init_image_id', params.init_image_id],
      ['mask_image_id', params.mask_image_id],
    ] as const) {
      if (id !== undefined && !(await this.images.find(caller.tenant, id))) {
        throw new DiffusionInvalidRequestError(`${field}: no image ${id} in your image store`, {
          fieldErrors: [{ field, message: 'no such image in your image store' }],
        });
      }
    }
    const prompts = promptsOf(input);
    const payloads: GenerationJobPayload[] =
      mode === 'sequence' ? [{ params, prompts }] : prompts.map((p) => ({ params, prompts: [p] }));
    const submitted: { job: JobRecord; created: boolean }[] = [];
    for (const [i, payload] of payloads.entries()) {
      const key =
        idempotencyKey === undefined ? undefined : payloads.length > 1 ? `${idempotencyKey}#${i}` : idempotencyKey;
      submitted.push(await this.jobs.submit(DIFFUSION_JOB_KIND, payload, caller, { idempotencyKey: key }));
    }
    return submitted;
  }
}
