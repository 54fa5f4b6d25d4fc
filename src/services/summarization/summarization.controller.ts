import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type Caller, CurrentCaller } from '../../platform/context';
import { abortOnDisconnect } from '../../platform/http';
import { acceptJob, ApiJobSubmission, idempotencyKeyOf, type JobDto, JobsService } from '../../platform/jobs';
import { ApiProblems } from '../../platform/openapi';
import { ServiceRoute } from '../../platform/registry';
import { SseEndpoint, SseStreams } from '../../platform/streaming';
import { SummarizeBatchRequestDto } from './dto/summarize-batch-request.dto';
import { SummarizeRequestDto } from './dto/summarize-request.dto';
import { SummaryDto } from './dto/summary-response.dto';
import { SUMMARIES_BATCH_JOB, type SummariesBatchPayload } from './summaries-batch.job';
import { type BatchDone, summariseBatch } from './summarization-batch';
import { SummarizationService } from './summarization.service';

@ApiTags('summaries')
@ServiceRoute('summarization')
@Controller({ path: 'summaries', version: '1' })
export class SummarizationController {
  constructor(
    private readonly summaries: SummarizationService,
    private readonly sse: SseStreams,
    private readonly jobs: JobsService,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createSummary',
    summary: 'Summarise one text (extractive TextRank in-process, or abstractive through the LLM gateway)',
  })
  @ApiOkResponse({ type: SummaryDto })
  @ApiProblems(400, 401, 403, 413, 429, 503)
  summarize(@Body() body: SummarizeRequestDto, @Req() req: Request): Promise<SummaryDto> {
    const { text, ...options } = body;
    return this.summaries.summarize(text, options, abortOnDisconnect(req));
  }

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'createSummaryBatch',
    summary:
      'Summarise several texts while the client waits: SSE `progress` event per document, then `done` with the tally (POST /v1/summaries/batch/jobs runs it as a job)',
  })
  @SseEndpoint('`progress` per document ({ index, id, completed, total, status, result | error }), then `done`')
  @ApiProblems(400, 401, 403, 413, 429, 503)
  summarizeBatch(@Body() body: SummarizeBatchRequestDto, @Req() req: Request, @Res() res: Response): unknown {
    const { documents, ...options } = body;
    // Everything checkable is checked before the stream opens, so bad input is a plain 4xx problem.
    this.summaries.validateBatch(
      documents.map((d) => d.text),
      options,
    );
    const tally: BatchDone = { total: documents.length, succeeded: 0, failed: 0 };
    // Returned, not awaited: the toolkit owns the stream from here (Nest ignores it under @Res()).
    return this.sse.stream(
      req,
      res,
      (signal) => summariseBatch(documents, options, (t, o, s) => this.summaries.summarize(t, o, s), signal, tally),
      {
        doneData: tally,
      },
    );
  }

  @Post('batch/jobs')
  @ApiOperation({
    operationId: 'submitSummaryBatchJob',
    summary:
      'Summarise several texts as a background job: 202 with the job at once; progress per document on /jobs/{id}/events, the summaries in its result; cancel with DELETE /jobs/{id}',
  })
  @ApiJobSubmission()
  @ApiProblems(400, 401, 403, 413, 429, 503)
  async submitBatch(
    @Body() body: SummarizeBatchRequestDto,
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobDto> {
    const { documents, ...options } = body;
    // The same checks as the streaming route, so a bad batch is a 4xx now, not a failed job later.
    this.summaries.validateBatch(
      documents.map((d) => d.text),
      options,
    );
    const payload: SummariesBatchPayload = { documents, options };
    const submitted = await this.jobs.submit(SUMMARIES_BATCH_JOB, payload, caller, {
      idempotencyKey: idempotencyKeyOf(req),
    });
    return acceptJob(res, submitted);
  }
}
