import { Injectable } from '@nestjs/common';
import { FennecError } from '../../../platform/errors';
import { JobCancelledError, JobKind, type JobContext, type JobKindHandler } from '../../../platform/jobs';
import type { TransformOperationDto } from '../dto/transform-request.dto';
import type { OutputFormat } from '../images.config';
import { ImagesService } from '../images.service';
import { planTransform } from '../processing/transform-plan';
import type { VariantSpec } from '../processing/variant-spec';

export const IMAGE_BATCH_JOB = 'images.batch';

/** What `POST /v1/images/batch` submits, checked against every image before it is accepted. */
export interface ImageBatchPayload {
  ids: string[];
  variant?: VariantSpec;
  transform?: { operations: TransformOperationDto[]; format: OutputFormat | null; quality?: number };
}

export type ImageBatchItem =
  | { id: string; status: 'succeeded'; variant: { url: string; etag: string; contentType: string; bytes: number } }
  | {
      id: string;
      status: 'succeeded';
      image: { id: string; created: boolean; format: string; width: number; height: number; bytes: number };
    }
  | { id: string; status: 'failed'; error: { code: string; detail: string } };

export interface ImageBatchResult {
  total: number;
  succeeded: number;
  failed: number;
  items: ImageBatchItem[];
}

/** `GET …/content` URL of a variant: the reference a batch answers, served from the cache it warmed. */
export function variantUrl(id: string, spec: VariantSpec): string {
  const q = new URLSearchParams();
  if (spec.width !== undefined) q.set('w', String(spec.width));
  if (spec.height !== undefined) q.set('h', String(spec.height));
  q.set('fit', spec.fit);
  q.set('format', spec.format);
  if (spec.quality !== undefined) q.set('q', String(spec.quality));
  return `/v1/images/${id}/content?${q.toString()}`;
}

/**
 * Converts or resizes many images of one tenant. Runs the images in order, one at a time (each
 * render already goes through the service's IMAGES_MAX_CONCURRENT_OPERATIONS limiter and sharp
 * works on libuv's threads, off the event loop, so a worker thread would add copies, not speed),
 * reports progress per image and stops between images when cancelled. An image deleted since
 * submission fails on its own; the job succeeds with the tally. Re-running is harmless (variants
 * are cached by key, derived images dedup by content), hence idempotent.
 */
@JobKind({
  name: IMAGE_BATCH_JOB,
  concurrency: 2,
  idempotent: true,
  timeoutMs: 3_600_000,
  description: 'Convert or resize many images (POST /v1/images/batch)',
})
@Injectable()
export class ImageBatchJob implements JobKindHandler<ImageBatchPayload, ImageBatchResult> {
  constructor(private readonly images: ImagesService) {}

  async run(payload: ImageBatchPayload, ctx: JobContext): Promise<ImageBatchResult> {
    const result: ImageBatchResult = { total: payload.ids.length, succeeded: 0, failed: 0, items: [] };
    ctx.progress({ value: 0, max: result.total, stage: 'started' });
    for (const id of payload.ids) {
      if (ctx.signal.aborted) throw abortReason(ctx.signal);
      const item = await this.one(ctx.tenant, id, payload);
      if (ctx.signal.aborted) throw abortReason(ctx.signal);
      result.items.push(item);
      result[item.status]++;
      ctx.progress({
        value: result.items.length,
        max: result.total,
        stage: item.status,
        message: item.status === 'failed' ? `${id}: ${item.error.detail}` : `${id}: done`,
      });
    }
    return result;
  }

  private async one(tenant: string, id: string, payload: ImageBatchPayload): Promise<ImageBatchItem> {
    try {
      const record = await this.images.get(tenant, id);
      if (payload.variant) {
        const derived = await this.images.variant(record, payload.variant);
        return {
          id,
          status: 'succeeded',
          variant: {
            url: variantUrl(id, payload.variant),
            etag: derived.etag,
            contentType: derived.contentType,
            bytes: derived.bytes.length,
          },
        };
      }
      const t = payload.transform!;
      const steps = planTransform(t.operations, record, this.images.limits.transformMaxDimension);
      const format = this.images.outputFormat(t.format ?? undefined, record);
      const derived = await this.images.transform(record, steps, format, t.quality);
      const stored = await this.images.put(tenant, derived.bytes, {
        source: 'derived',
        stripMetadata: true,
        filename: record.filename ? `${record.filename.replace(/\.[^.]*$/, '')}.${format}` : undefined,
      });
      const { image } = stored;
      return {
        id,
        status: 'succeeded',
        image: {
          id: image.id,
          created: stored.created,
          format: image.format,
          width: image.width,
          height: image.height,
          bytes: image.bytes,
        },
      };
    } catch (err) {
      if (!(err instanceof FennecError)) throw err;
      return { id, status: 'failed', error: { code: err.code, detail: err.message } };
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new JobCancelledError('The job was cancelled');
}
