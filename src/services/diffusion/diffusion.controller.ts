import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type Caller, CurrentCaller } from '../../platform/context';
import { idempotencyKeyOf, JobDto, jobLocation } from '../../platform/jobs';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { FlagOnlyInput } from '../../platform/security';
import { allowedModels } from './generation-plan';
import { GenerationRateLimit } from './diffusion-route-limits';
import { DiffusionSubmitter } from './diffusion-submitter';
import { DIFFUSION_SERVICE, DiffusionGateway } from './diffusion.service';
import { DiffusionJobRequestDto, DiffusionJobsAcceptedDto } from './dto/diffusion-job.dto';
import { DiffusionModelsDto } from './dto/diffusion-models.dto';
import { DiffusionInvalidRequestError } from './diffusion.errors';

/** `/v1/diffusion/*`: image generation on AUTOMATIC1111 / Forge instances, as platform jobs. */
@ApiTags('diffusion')
@ServiceRoute(DIFFUSION_SERVICE)
@FlagOnlyInput('body.prompt', 'body.negative_prompt', 'body.prompts')
@Controller({ path: 'diffusion', version: '1' })
export class DiffusionController {
  constructor(
    private readonly gateway: DiffusionGateway,
    private readonly submitter: DiffusionSubmitter,
  ) {}

  @Post('jobs')
  @GenerationRateLimit()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Submitting again with the same key (per tenant) returns the first jobs instead of new ones',
  })
  @ApiAcceptedResponse({ type: DiffusionJobsAcceptedDto, description: 'Queued; `Location` is the first job' })
  @ApiOperation({
    operationId: 'submitDiffusionJobs',
    summary:
      'Generate images: one prompt, or a batch run in parallel across instances (a job each) or in sequence (one job)',
    description:
      'Checked before queueing: sizes (multiples of 8 within bounds), steps, cfg, the sampler, scheduler and model ' +
      'against what the instances offer and the allow-list. Every output image goes to the image store; the job ' +
      'result lists their ids.',
  })
  @ApiProblems(400, 401, 403, 429, 503)
  async submit(
    @Body() dto: DiffusionJobRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DiffusionJobsAcceptedDto> {
    if ((dto.prompt === undefined) === (dto.prompts === undefined)) {
      throw new DiffusionInvalidRequestError('Give either prompt or prompts', {
        fieldErrors: [{ field: 'prompt', message: 'give either prompt or prompts' }],
      });
    }
    const mode = dto.mode ?? 'parallel';
    const prompts = dto.prompts ?? [{ prompt: dto.prompt!, negative_prompt: dto.negative_prompt }];
    const submitted = await this.submitter.submit({ ...dto, prompts }, mode, caller, idempotencyKeyOf(req));
    res.status(202);
    res.setHeader('Location', jobLocation(submitted[0].job.id));
    if (submitted.every((s) => !s.created)) res.setHeader('Idempotent-Replayed', 'true');
    return { mode, jobs: submitted.map((s) => JobDto.from(s.job)) };
  }

  @Get('models')
  @ApiOperation({
    operationId: 'listDiffusionModels',
    summary: 'Checkpoints (after the allow-list), samplers and schedulers the instances offer (cached)',
  })
  @ApiOkResponse({ type: DiffusionModelsDto })
  @ApiProblems(401, 403, 429, 503)
  async models(): Promise<DiffusionModelsDto> {
    this.gateway.servingPool();
    const catalog = await this.gateway.catalog.get();
    const settings = this.gateway.settings();
    const health = await this.gateway.checkHealth();
    const details = health.details as { up: number; total: number };
    return {
      models: allowedModels(catalog, settings).map((m) => ({
        name: m.model_name,
        title: m.title,
        hash: m.hash ?? null,
      })),
      samplers: catalog.samplers.map((s) => ({ name: s.name, aliases: s.aliases ?? [] })),
      schedulers: catalog.schedulers.map((s) => s.name),
      defaultModel: settings.defaultModel || null,
      defaultSampler: settings.defaultSampler,
      instances: { up: details.up, total: details.total },
    };
  }
}
