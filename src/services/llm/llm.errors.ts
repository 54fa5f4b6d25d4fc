import { FennecError } from '../../platform/errors/fennec-error';

/** Seconds a caller is told to wait when the LLM gateway is down. */
export const LLM_RETRY_AFTER_SECONDS = 5;

/** The LLM gateway is absent, not running, or has no healthy upstream. */
export class LlmUnavailableError extends FennecError {
  readonly code = 'LLM.UNAVAILABLE';
  readonly kind = 'unavailable';
  constructor(message = 'The LLM gateway is not available right now') {
    super(message, { retryAfterSeconds: LLM_RETRY_AFTER_SECONDS });
  }
}
