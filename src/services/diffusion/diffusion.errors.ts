import { domainError, FennecError } from '../../platform/errors';

/** A request names something the instances do not offer or the allow-list refuses, or breaks a bound. */
export class DiffusionInvalidRequestError extends FennecError {
  readonly code = 'DIFFUSION.INVALID_REQUEST';
  readonly kind = 'invalid';
}

/** The service is not running (no DIFFUSION_URLS, or stopped). */
export const DiffusionUnavailableError = domainError('DIFFUSION.UNAVAILABLE', 'unavailable');

/** The instance refused or failed the generation (its own error, e.g. out of GPU memory). */
export const DiffusionGenerationFailedError = domainError('DIFFUSION.GENERATION_FAILED', 'bad_gateway');

/** The instance ran a different model than the one asked for (A1111 ignores unknown overrides). */
export const DiffusionModelMismatchError = domainError('DIFFUSION.MODEL_NOT_HONOURED', 'bad_gateway');

/** A generation ran longer than DIFFUSION_GENERATION_TIMEOUT_MS. */
export const DiffusionTimeoutError = domainError('DIFFUSION.TIMEOUT', 'timeout');

/** The OpenAI-compatible route waited for a job that ended without images. */
export const DiffusionJobFailedError = domainError('DIFFUSION.JOB_FAILED', 'bad_gateway');
