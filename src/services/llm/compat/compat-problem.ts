import { HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { fromBodyParserError } from '../../../platform/errors/body-parser-errors';
import { FennecError } from '../../../platform/errors/fennec-error';
import { codeForStatus, titleForStatus } from '../../../platform/errors/http-error-codes';
import { problemType, type ProblemDetails } from '../../../platform/errors/problem-details';
import type { MetricsService } from '../../../platform/metrics/metrics.service';
import { routeTemplate } from '../../../platform/metrics/route-template';
import { streamProblem } from '../../../platform/streaming/sse-problem';
import { requestIdOf } from '../client-abort';

const GENERIC_500 = 'An unexpected error occurred. Quote the requestId when reporting it.';

/**
 * The problem the platform filter would answer for `exception` (same status, code, detail rules:
 * nothing internal in 5xx), for the drop-in surfaces, which must answer errors in their
 * clients' dialect instead of problem+json. Also does the filter's bookkeeping: error metric,
 * Retry-After, and the cause of a 5xx on the request's log line.
 */
export function compatProblem(
  exception: unknown,
  req: Request,
  res: Response,
  metrics: MetricsService,
): ProblemDetails {
  const instance = req.originalUrl.split('?')[0].slice(0, 256);
  const requestId = requestIdOf(req) ?? '';
  const domain =
    exception instanceof FennecError
      ? exception
      : fromBodyParserError(exception instanceof HttpException ? exception.cause : exception);
  let problem: ProblemDetails;
  if (domain) problem = streamProblem(domain, instance, requestId);
  else if (exception instanceof HttpException && exception.getStatus() < 500) {
    const status = exception.getStatus();
    problem = {
      type: problemType(codeForStatus(status)),
      title: titleForStatus(status),
      status,
      detail: exception.message,
      instance,
      code: codeForStatus(status),
      requestId,
    };
  } else {
    problem = {
      type: problemType('INTERNAL.ERROR'),
      title: titleForStatus(500),
      status: 500,
      detail: GENERIC_500,
      instance,
      code: 'INTERNAL.ERROR',
      requestId,
    };
  }
  if (problem.status >= 500) res.err = exception instanceof Error ? exception : new Error(String(exception));
  metrics.countHttpError(problem.code, routeTemplate(req), problem.status);
  if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
  return problem;
}
