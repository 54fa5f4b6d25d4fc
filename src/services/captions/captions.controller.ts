import { Body, Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type Caller, CurrentCaller } from '../../platform/context';
import { acceptJob, ApiJobSubmission, idempotencyKeyOf, type JobDto, JobsService } from '../../platform/jobs';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { IMAGE_STORE, type ImageStore } from '../images';
import { captionedImages, exportJsonl, exportTar } from './captions-export';
import { CaptionRateLimit } from './captions-route-limits';
import { CAPTIONS_BATCH_JOB, type CaptionBatchPayload } from './captions-batch.job';
import { CaptionsService } from './captions.service';
import { CaptionBatchRequestDto } from './dto/caption-batch-request.dto';
import { CaptionExportQueryDto } from './dto/caption-export-query.dto';

@ApiTags('captions')
@ServiceRoute('captions')
@Controller({ path: 'captions', version: '1' })
export class CaptionsController {
  constructor(
    private readonly captions: CaptionsService,
    private readonly jobs: JobsService,
    @Inject(IMAGE_STORE) private readonly images: ImageStore,
  ) {}

  @Post('batch')
  @CaptionRateLimit()
  @ApiJobSubmission()
  @ApiOperation({
    operationId: 'submitCaptionBatch',
    summary: 'Caption many images (ids or a filter) as a job; each caption is written to its image',
    description:
      'At most CAPTIONS_CONCURRENCY_PER_MODEL images are captioned at once per model. Follow at `/jobs/{id}/events` ' +
      '(a `progress` event per image: stage captioned|flagged|skipped|failed); cancel with `DELETE /jobs/{id}` ' +
      '(in-flight model calls are aborted). 503 LLM.UNAVAILABLE while the LLM gateway is not available.',
  })
  @ApiProblems(400, 401, 403, 404, 413, 429, 503)
  async batch(
    @Body() body: CaptionBatchRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobDto> {
    const idempotencyKey = idempotencyKeyOf(req);
    this.captions.requireLlm();
    const { ids, filter, skipCaptioned, ...options } = body;
    const spec = this.captions.resolve(options);
    const tenant = caller.tenant || 'default';
    const payload: CaptionBatchPayload = {
      ids: await this.captions.batchIds(
        tenant,
        ids,
        filter && {
          source: filter.source,
          createdFrom: filter.createdFrom,
          createdTo: filter.createdTo,
          captionContains: filter.caption,
        },
      ),
      spec,
      skipCaptioned: skipCaptioned ?? false,
    };
    return acceptJob(res, await this.jobs.submit(CAPTIONS_BATCH_JOB, payload, caller, { idempotencyKey }));
  }

  @Get('export')
  @ApiOperation({
    operationId: 'exportCaptions',
    summary: "The tenant's captions for training-set tools: JSON lines, or a tar with one .txt beside each image",
    description: 'Works without the LLM gateway (it reads stored captions). Streamed.',
  })
  @ApiOkResponse({
    description: 'jsonl: application/x-ndjson; txt-per-image: application/x-tar',
    content: {
      'application/x-ndjson': { schema: { type: 'string' } },
      'application/x-tar': { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiProblems(400, 401, 403, 429, 503)
  async export(
    @Query() q: CaptionExportQueryDto,
    @CurrentCaller() caller: Caller | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const tenant = caller?.tenant || 'default';
    const images = captionedImages(this.images, tenant, { minScore: q.minScore, includeFlagged: q.includeFlagged });
    if (q.format === 'jsonl') await exportJsonl(res, images);
    else await exportTar(res, this.images, tenant, images, q.includeImages);
  }
}
