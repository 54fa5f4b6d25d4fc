import { Catch } from '@nestjs/common';
import type { ErrorDialect, ProblemDetails } from '../../../platform/errors';
import { DialectErrorFilter } from '../compat/dialect-error.filter';

/** Ollama's error body for a problem, with Fennec's `code` and `requestId` beside it. */
export function ollamaError(problem: ProblemDetails) {
  return { error: problem.detail, code: problem.code, requestId: problem.requestId };
}

/** Every path under `/ollama` speaks Ollama's errors, including those raised before a route runs. */
export const OLLAMA_ERROR_DIALECT: ErrorDialect = {
  matches: (path) => path === '/ollama' || path.startsWith('/ollama/'),
  body: ollamaError,
};

/**
 * Errors of `/ollama/api/*` as Ollama writes them: the status and `{"error": "…"}`, plus Fennec's
 * stable `code` and `requestId` beside it (Ollama clients read only `error`).
 */
@Catch()
export class OllamaErrorFilter extends DialectErrorFilter {
  protected body(problem: ProblemDetails) {
    return ollamaError(problem);
  }
}
