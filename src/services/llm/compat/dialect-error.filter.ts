import { type ArgumentsHost, type ExceptionFilter, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ProblemDetails } from '../../../platform/errors';
import { MetricsService } from '../../../platform/metrics';
import { compatProblem } from './compat-problem';

/**
 * Shared part of the drop-in surfaces' filters: the same problem the platform filter would give,
 * written as the client's dialect (`body`) instead of problem+json.
 */
@Injectable()
export abstract class DialectErrorFilter implements ExceptionFilter {
  constructor(private readonly metrics: MetricsService) {}

  protected abstract body(problem: ProblemDetails): unknown;

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    const problem = compatProblem(exception, req, res, this.metrics);
    res.status(problem.status).json(this.body(problem));
  }
}
