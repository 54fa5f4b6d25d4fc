import { FennecError } from '../../platform/errors';

/** The request names a model outside the runtime setting `models`. */
export class CaptionModelNotAllowedError extends FennecError {
  readonly code = 'CAPTIONS.MODEL_NOT_ALLOWED';
  readonly kind = 'invalid';
}

/** A batch matches more images than CAPTIONS_BATCH_MAX_IMAGES. */
export class CaptionBatchTooLargeError extends FennecError {
  readonly code = 'CAPTIONS.BATCH_TOO_LARGE';
  readonly kind = 'too_large';
}
