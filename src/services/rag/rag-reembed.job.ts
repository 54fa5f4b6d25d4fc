import { Injectable } from '@nestjs/common';
import { JobKind, type JobContext, type JobKindHandler } from '../../platform/jobs';
import type { BackfillProgress } from './rag-embedding-backfill';
import { RagService } from './rag.service';

/** The job kind of `POST /v1/rag/reembed`. */
export const RAG_REEMBED_JOB = 'rag.reembed';

/**
 * Re-embeds the whole backlog (documents of every tenant stored without vectors, or with another
 * model's) as a job: progress per document, cancel, and, being idempotent (a document is written
 * only if unchanged since it was read, and one already embedded is no longer listed), retried
 * with backoff when the LLM fails and run again after a crash. One at a time over the cluster.
 */
@JobKind({
  name: RAG_REEMBED_JOB,
  concurrency: 1,
  clusterConcurrency: 1,
  idempotent: true,
  retry: { attempts: 3, backoffMs: 5_000, maxBackoffMs: 60_000 },
  description: 'Embeddings for every document lacking them (POST /v1/rag/reembed)',
})
@Injectable()
export class RagReembedJob implements JobKindHandler<Record<string, never>, BackfillProgress> {
  constructor(private readonly rag: RagService) {}

  run(_payload: Record<string, never>, ctx: JobContext): Promise<BackfillProgress> {
    return this.rag.reembedAll(ctx.signal, ({ reembedded, remaining }) =>
      ctx.progress({
        value: reembedded,
        max: reembedded + remaining,
        stage: 'embedding',
        message: `${reembedded} re-embedded, ${remaining} to go`,
      }),
    );
  }
}
