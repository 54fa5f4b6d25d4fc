import type { Request, Response } from 'express';
import { type ProblemDetails, problemFor, problemSite, recordProblem } from '../../../platform/errors';
import type { MetricsService } from '../../../platform/metrics';

/**
 * The problem the platform filter answers for `exception` (the same `problemFor` mapping and the
 * same bookkeeping: error metric, Retry-After, the cause of a 5xx on the request's log line), for
 * the drop-in surfaces, which write it in their clients' dialect instead of problem+json.
 */
export function compatProblem(
  exception: unknown,
  req: Request,
  res: Response,
  metrics: MetricsService,
): ProblemDetails {
  const problem = problemFor(exception, problemSite(req, res));
  recordProblem(problem, exception, req, res, metrics);
  return problem;
}
