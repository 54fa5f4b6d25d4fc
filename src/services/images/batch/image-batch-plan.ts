import { FennecError, RequestValidationError } from '../../../platform/errors';
import type { ImageBatchRequestDto } from '../dto/image-batch-request.dto';
import { ImageNotFoundError, ImageTooManyFilesError } from '../images.errors';
import type { ImagesService } from '../images.service';
import { planTransform } from '../processing/transform-plan';
import type { VariantSpec } from '../processing/variant-spec';
import type { ImageBatchPayload } from './image-batch.job';

/**
 * Checks a batch against the limits and every image before it becomes a job, so a request that
 * cannot work is a 4xx now rather than a job of failures: the count (IMAGES_BATCH_MAX_IMAGES),
 * that each id is an image of the tenant, and that the variant or transform is allowed on each.
 */
export async function planImageBatch(
  images: ImagesService,
  tenant: string,
  dto: ImageBatchRequestDto,
): Promise<ImageBatchPayload> {
  if ((dto.variant === undefined) === (dto.transform === undefined)) {
    throw new RequestValidationError('Give exactly one of variant or transform', {
      fieldErrors: [{ field: 'variant', message: 'exactly one of variant or transform is required' }],
    });
  }
  const max = images.limits.batchMaxImages;
  if (dto.ids.length > max) {
    throw new ImageTooManyFilesError(
      `${dto.ids.length} images in one batch; the limit is ${max} (IMAGES_BATCH_MAX_IMAGES)`,
    );
  }
  const records = await Promise.all(dto.ids.map((id) => images.find(tenant, id)));
  const missing = dto.ids.filter((_, i) => records[i] === undefined);
  if (missing.length > 0) throw new ImageNotFoundError(missing.join("', '"));
  let variant: VariantSpec | undefined;
  records.forEach((record, i) => {
    try {
      if (dto.variant) {
        const { w, h, fit, format, q } = dto.variant;
        variant = images.resolveVariant(record!, { w, h, fit, format, q }, undefined).spec;
      } else {
        planTransform(dto.transform!.operations, record!, images.limits.transformMaxDimension);
        images.outputFormat(dto.transform!.format, record!);
      }
    } catch (err) {
      if (err instanceof FennecError) err.message = `ids[${i}] (${dto.ids[i]}): ${err.message}`;
      throw err;
    }
  });
  return {
    ids: dto.ids,
    ...(variant ? { variant } : {}),
    ...(dto.transform
      ? {
          transform: {
            // Plain objects: the payload is stored as JSON.
            operations: dto.transform.operations.map((o) => ({ ...o })),
            format: dto.transform.format ?? null,
            ...(dto.transform.quality !== undefined ? { quality: dto.transform.quality } : {}),
          },
        }
      : {}),
  };
}
