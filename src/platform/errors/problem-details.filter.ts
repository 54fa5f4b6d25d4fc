import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { contextOf } from '../context/request-context';
import { MetricsService } from '../metrics/metrics.service';
import { ErrorDialects } from './error-dialects';
import { PROBLEM_CONTENT_TYPE } from './problem-details';
import { problemFor, problemSite, recordProblem } from './problem-for';

/**
 * The one exception filter: every throw, anywhere in a request, ends here and leaves as RFC 9457
 * `application/problem+json` (or in the {@link ErrorDialects} registered for its path). 5xx details are generic; the cause goes to the log with the request id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    private readonly metrics: MetricsService,
    private readonly dialects: ErrorDialects,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      // Streams answer errors in-band; all that is left is to log and end the socket.
      contextOf(req)?.log?.error({ err: exception }, 'error after response headers were sent');
      if (!res.writableEnded) res.end();
      return;
    }
    if (isHealthReport(exception)) {
      // Terminus' 503 carries the health tree: keep that body as it is.
      res.status(exception.getStatus()).json(exception.getResponse());
      return;
    }

    const problem = problemFor(exception, problemSite(req, res));
    recordProblem(problem, exception, req, res, this.metrics);
    // Errors raised before a drop-in surface's own filter could run still answer in its dialect.
    const dialect = this.dialects.forPath(problem.instance);
    if (dialect) res.status(problem.status).json(dialect.body(problem));
    else res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}

/** Terminus' HealthCheckService throws a 503 whose body is the health report. */
function isHealthReport(e: unknown): e is HttpException {
  if (!(e instanceof HttpException)) return false;
  const body = e.getResponse();
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body && 'error' in body;
}
