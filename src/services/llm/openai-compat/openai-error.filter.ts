import { Catch } from '@nestjs/common';
import type { ErrorDialect, ProblemDetails } from '../../../platform/errors';
import { DialectErrorFilter } from '../compat/dialect-error.filter';

/** OpenAI's error `type` for a status, as its API and client libraries expect. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/**
 * OpenAI's error object for a problem; `error.code` is Fennec's stable code, also repeated at the
 * top level with the `requestId` so every Fennec answer carries them in the same place.
 */
export function openAiError(problem: ProblemDetails) {
  return {
    error: {
      message: problem.detail,
      type: openAiErrorType(problem.status),
      param: problem.errors?.[0]?.field ?? null,
      code: problem.code,
    },
    code: problem.code,
    requestId: problem.requestId,
  };
}

/**
 * The OpenAI-compatible paths (`/v1/chat/completions`, `/v1/embeddings`, `/v1/models…`) speak
 * OpenAI's errors, including those raised before a route runs (an undecodable model name).
 */
export const OPENAI_ERROR_DIALECT: ErrorDialect = {
  matches: (path) => /^\/v1\/(?:chat\/completions|embeddings|models)(?:\/|$)/.test(path),
  body: openAiError,
};

/** Errors of the OpenAI-compatible routes as OpenAI writes them: `{"error": {message, type, param, code}}`. */
@Catch()
export class OpenAiErrorFilter extends DialectErrorFilter {
  protected body(problem: ProblemDetails) {
    return openAiError(problem);
  }
}
