import { Catch } from '@nestjs/common';
import type { ProblemDetails } from '../../../platform/errors';
import { DialectErrorFilter } from '../compat/dialect-error.filter';

/**
 * Errors of `/ollama/api/*` as Ollama writes them: the status and `{"error": "…"}`, plus Fennec's
 * stable `code` and `requestId` beside it (Ollama clients read only `error`).
 */
@Catch()
export class OllamaErrorFilter extends DialectErrorFilter {
  protected body(problem: ProblemDetails) {
    return { error: problem.detail, code: problem.code, requestId: problem.requestId };
  }
}
