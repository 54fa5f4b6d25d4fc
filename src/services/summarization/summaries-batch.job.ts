import { Injectable } from '@nestjs/common';
import { JobKind, type JobContext, type JobKindHandler } from '../../platform/jobs';
import type { BatchDocumentDto } from './dto/summarize-batch-request.dto';
import type { SummaryOptionsDto } from './dto/summary-options.dto';
import { type BatchDone, type BatchProgress, summariseBatch } from './summarization-batch';
import { SummarizationService } from './summarization.service';

/** The job kind of `POST /v1/summaries/batch/jobs`. */
export const SUMMARIES_BATCH_JOB = 'summaries.batch';

/** Longest summary excerpt carried as a progress event's `preview`. */
const PREVIEW_CHARS = 1_000;

export interface SummariesBatchPayload {
  documents: BatchDocumentDto[];
  options: SummaryOptionsDto;
}

/** One document's outcome in the job's result: the `progress` event of the streaming route, minus the counters. */
export type SummariesBatchDocument = Omit<BatchProgress, 'completed' | 'total'>;

/** The job's result: the streaming route's `done` tally plus every document's outcome, in order. */
export interface SummariesBatchResult extends BatchDone {
  documents: SummariesBatchDocument[];
}

/**
 * A batch of summaries as a background job: the same per-document loop as the streaming route
 * (a failing document is reported and the batch goes on), with a progress event per document and
 * the whole outcome as the result. Idempotent (summarising again gives the same summaries), so a
 * batch interrupted by a crash runs again at the next start instead of failing.
 */
@JobKind({
  name: SUMMARIES_BATCH_JOB,
  concurrency: 2,
  idempotent: true,
  description: 'Summaries of several documents (POST /v1/summaries/batch/jobs)',
})
@Injectable()
export class SummariesBatchJob implements JobKindHandler<SummariesBatchPayload, SummariesBatchResult> {
  constructor(private readonly summaries: SummarizationService) {}

  async run(payload: SummariesBatchPayload, ctx: JobContext): Promise<SummariesBatchResult> {
    const { documents, options } = payload;
    const tally: BatchDone = { total: documents.length, succeeded: 0, failed: 0 };
    const outcomes: SummariesBatchDocument[] = [];
    const summarize = (text: string, o: SummaryOptionsDto, signal: AbortSignal) =>
      this.summaries.summarize(text, o, signal);
    for await (const { data } of summariseBatch(documents, options, summarize, ctx.signal, tally)) {
      const { completed, total, ...outcome } = data;
      outcomes.push(outcome);
      const name = outcome.id === undefined ? `document ${outcome.index + 1}` : `document ${outcome.id}`;
      ctx.progress({
        value: completed,
        max: total,
        stage: 'summarising',
        message: `${name}: ${outcome.status === 'ok' ? 'summarised' : `failed (${outcome.error?.code})`}`,
        preview: outcome.result?.summary.slice(0, PREVIEW_CHARS),
      });
    }
    // The loop stops quietly on cancel (or timeout, or a hand-back): end the attempt as such.
    ctx.signal.throwIfAborted();
    return { ...tally, documents: outcomes };
  }
}
