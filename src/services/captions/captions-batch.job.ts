import { Injectable } from '@nestjs/common';
import { FennecError } from '../../platform/errors';
import { JobCancelledError, JobKind, type JobContext, type JobKindHandler } from '../../platform/jobs';
import type { CaptionSpec } from './caption-styles';
import { CaptionsService } from './captions.service';

export const CAPTIONS_BATCH_JOB = 'captions.batch';

export interface CaptionBatchPayload {
  ids: string[];
  spec: CaptionSpec;
  skipCaptioned: boolean;
}

export type CaptionBatchItem =
  // The caption itself is on the image record; results stay small.
  | { id: string; status: 'captioned' | 'flagged'; score: number }
  | { id: string; status: 'skipped' }
  | { id: string; status: 'failed'; error: { code: string; detail: string } };

export interface CaptionBatchResult {
  total: number;
  captioned: number;
  flagged: number;
  skipped: number;
  failed: number;
  items: CaptionBatchItem[];
}

/**
 * Captions many images of one tenant. CAPTIONS_CONCURRENCY_PER_MODEL images are in flight at
 * once, and every call also goes through the service's per-model limiter, shared with single
 * requests and other batches, so a model never has more than that many requests from this
 * instance. Progress per image; on cancel the in-flight model calls are aborted (their sockets
 * closed) and no further image starts. Each caption is written to its image as it completes.
 */
@JobKind({
  name: CAPTIONS_BATCH_JOB,
  concurrency: 2,
  idempotent: true,
  timeoutMs: 6 * 3_600_000,
  description: 'Caption many images (POST /v1/captions/batch)',
})
@Injectable()
export class CaptionsBatchJob implements JobKindHandler<CaptionBatchPayload, CaptionBatchResult> {
  constructor(private readonly captions: CaptionsService) {}

  async run(payload: CaptionBatchPayload, ctx: JobContext): Promise<CaptionBatchResult> {
    const result: CaptionBatchResult = {
      total: payload.ids.length,
      captioned: 0,
      flagged: 0,
      skipped: 0,
      failed: 0,
      items: [],
    };
    const byId = new Map<string, CaptionBatchItem>();
    ctx.progress({ value: 0, max: result.total, stage: 'started' });
    let next = 0;
    const worker = async () => {
      while (next < payload.ids.length) {
        if (ctx.signal.aborted) return;
        const id = payload.ids[next++];
        const item = await this.one(ctx, id, payload);
        if (ctx.signal.aborted) return;
        byId.set(id, item);
        result[item.status === 'captioned' ? 'captioned' : item.status]++;
        ctx.progress({
          value: byId.size,
          max: result.total,
          stage: item.status,
          message:
            item.status === 'failed'
              ? `${id}: ${item.error.detail}`
              : item.status === 'skipped'
                ? `${id}: already captioned`
                : `${id}: score ${item.score}`,
        });
      }
    };
    const workers = Math.min(this.captions.limits.concurrencyPerModel, payload.ids.length);
    await Promise.all(Array.from({ length: workers }, worker));
    if (ctx.signal.aborted) {
      throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new JobCancelledError('The job was cancelled');
    }
    result.items = payload.ids.map((id) => byId.get(id)!);
    return result;
  }

  private async one(ctx: JobContext, id: string, payload: CaptionBatchPayload): Promise<CaptionBatchItem> {
    try {
      if (payload.skipCaptioned && (await this.captions.hasCaption(ctx.tenant, id))) return { id, status: 'skipped' };
      const c = await this.captions.caption(ctx.tenant, id, payload.spec, ctx.signal);
      return { id, status: c.flagged ? 'flagged' : 'captioned', score: c.score };
    } catch (err) {
      if (ctx.signal.aborted) return { id, status: 'failed', error: { code: 'JOBS.CANCELLED', detail: 'cancelled' } };
      if (!(err instanceof FennecError)) throw err;
      return { id, status: 'failed', error: { code: err.code, detail: err.message } };
    }
  }
}
