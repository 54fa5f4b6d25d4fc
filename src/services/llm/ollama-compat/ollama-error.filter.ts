import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { MetricsService } from '../../../platform/metrics/metrics.service';
import { compatProblem } from '../compat/compat-problem';

/**
 * Errors of `/ollama/api/*` as Ollama writes them: the status and `{"error": "…"}`, plus Fennec's
 * stable `code` and `requestId` beside it (Ollama clients read only `error`).
 */
@Catch()
export class OllamaErrorFilter implements ExceptionFilter {
  constructor(private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    const problem = compatProblem(exception, req, res, this.metrics);
    res.status(problem.status).json({ error: problem.detail, code: problem.code, requestId: problem.requestId });
  }
}
