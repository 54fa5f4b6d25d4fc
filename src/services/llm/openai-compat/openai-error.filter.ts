import { Catch } from '@nestjs/common';
import type { ProblemDetails } from '../../../platform/errors';
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

/** Errors of the OpenAI-compatible routes as OpenAI writes them: `{"error": {message, type, param, code}}`. */
@Catch()
export class OpenAiErrorFilter extends DialectErrorFilter {
  protected body(problem: ProblemDetails) {
    return openAiError(problem);
  }
}
