import { Throttle } from '@nestjs/throttler';
import type { ImagesConfig } from './images.config';

const MINUTE_MS = 60_000;

/**
 * Per-minute limits of the expensive image routes. Decorators are evaluated at class definition,
 * before config exists, so they read these values per request; {@link applyImagesRouteLimits}
 * sets them from IMAGES_* config at boot.
 */
const limits = { uploads: 120, transforms: 300 };

export function applyImagesRouteLimits(config: Pick<ImagesConfig, 'uploadsPerMinute' | 'transformsPerMinute'>): void {
  limits.uploads = config.uploadsPerMinute;
  limits.transforms = config.transformsPerMinute;
}

/** Uploads: IMAGES_UPLOADS_PER_MINUTE per caller and route (the `sustained` throttler). */
export const UploadRateLimit = () => Throttle({ sustained: { limit: () => limits.uploads, ttl: MINUTE_MS } });

/** Transforms: IMAGES_TRANSFORMS_PER_MINUTE per caller and route. */
export const TransformRateLimit = () => Throttle({ sustained: { limit: () => limits.transforms, ttl: MINUTE_MS } });
