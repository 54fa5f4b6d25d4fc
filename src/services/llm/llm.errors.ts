import { FennecError } from '../../platform/errors';

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

/** Ollama answered 404 for the model: it is not pulled on the instance that was asked. */
export class LlmModelNotFoundError extends FennecError {
  readonly code = 'LLM.MODEL_NOT_FOUND';
  readonly kind = 'not_found';
}

/** The model is not on the gateway's allow-list (runtime config `allowedModels`). */
export class LlmModelNotAllowedError extends FennecError {
  readonly code = 'LLM.MODEL_NOT_ALLOWED';
  readonly kind = 'forbidden';
}

/** Ollama refused the request as invalid (its 400), e.g. chat on an embedding-only model. */
export class LlmRequestRejectedError extends FennecError {
  readonly code = 'LLM.REQUEST_REJECTED';
  readonly kind = 'invalid';
}

/** Ollama reported an error in the middle of a streamed answer (e.g. out of memory). */
export class LlmGenerationFailedError extends FennecError {
  readonly code = 'LLM.GENERATION_FAILED';
  readonly kind = 'bad_gateway';
}

/** The prompt (messages, prompt + system, or embedding inputs) is longer than LLM_MAX_PROMPT_CHARS. */
export class LlmPromptTooLargeError extends FennecError {
  readonly code = 'LLM.PROMPT_TOO_LARGE';
  readonly kind = 'too_large';
}
