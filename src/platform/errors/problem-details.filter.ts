import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { contextOf } from '../context/request-context';
import { MetricsService } from '../metrics/metrics.service';
import { routeTemplate } from '../metrics/route-template';
import { fromBodyParserError } from './body-parser-errors';
import { RouteNotFoundError } from './common.errors';
import { STATUS_BY_KIND } from './error-kind';
import { FennecError } from './fennec-error';
import { codeForStatus, titleForStatus } from './http-error-codes';
import { PROBLEM_CONTENT_TYPE, problemType, type ProblemDetails } from './problem-details';

const GENERIC_500 = 'An unexpected error occurred. Quote the requestId when reporting it.';

type Mapped = Omit<ProblemDetails, 'type' | 'instance' | 'requestId'>;

/**
 * The one exception filter: every throw, anywhere in a request, ends here and leaves as RFC 9457
 * `application/problem+json`. 5xx details are generic; the cause goes to the log with the request id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly metrics: MetricsService) {}

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

    const mapped = this.map(exception, res);
    const route = routeTemplate(req);
    const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : '';
    const body: ProblemDetails = {
      type: problemType(mapped.code),
      title: mapped.title,
      status: mapped.status,
      detail: mapped.detail,
      instance: req.originalUrl.split('?')[0].slice(0, 256),
      code: mapped.code,
      requestId,
      ...(mapped.errors ? { errors: mapped.errors } : {}),
      ...(mapped.retryAfter !== undefined ? { retryAfter: mapped.retryAfter } : {}),
    };
    if (mapped.status >= 500) {
      // The request's completion line logs `res.err` (with the request id).
      res.err = exception instanceof Error ? exception : new Error(String(exception));
    }
    this.metrics.countHttpError(mapped.code, route, mapped.status);
    if (mapped.retryAfter !== undefined) res.setHeader('Retry-After', String(mapped.retryAfter));
    res.status(mapped.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }

  private map(exception: unknown, res: Response): Mapped {
    // Nest wraps body-parser's errors in an HttpException; the original is its `cause`.
    const domain =
      exception instanceof FennecError
        ? exception
        : fromBodyParserError(exception instanceof HttpException ? exception.cause : exception);
    if (domain) return this.fromDomain(domain);
    if (exception instanceof HttpException) return this.fromHttp(exception, res);
    return { status: 500, title: titleForStatus(500), code: 'INTERNAL.ERROR', detail: GENERIC_500 };
  }

  private fromDomain(e: FennecError): Mapped {
    const status = STATUS_BY_KIND[e.kind];
    const retryAfter = e.retryAfterSeconds ?? (status === 429 || status === 503 ? 1 : undefined);
    return {
      status,
      title: titleForStatus(status),
      code: e.code,
      detail: status >= 500 && e.kind === 'internal' ? GENERIC_500 : e.message,
      errors: e.fieldErrors,
      retryAfter: retryAfter === undefined ? undefined : Math.max(0, Math.ceil(retryAfter)),
    };
  }

  private fromHttp(e: HttpException, res: Response): Mapped {
    const status = e.getStatus();
    if (status === 404 && /^Cannot [A-Z]+ /.test(e.message)) {
      return this.fromDomain(new RouteNotFoundError(`No route matches ${e.message.slice(7)}`));
    }
    const body = e.getResponse();
    const message: unknown = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? e.message);
    const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : e.message;
    const detail = status >= 500 ? GENERIC_500 : text;
    const headerRetry = Number(res.getHeader('Retry-After'));
    const retryAfter =
      status === 429 || status === 503
        ? Number.isFinite(headerRetry) && headerRetry > 0
          ? headerRetry
          : 1
        : undefined;
    const code =
      typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string'
        ? (body as { code: string }).code
        : codeForStatus(status);
    return { status, title: titleForStatus(status), code, detail, retryAfter };
  }
}

/** Terminus' HealthCheckService throws a 503 whose body is the health report. */
function isHealthReport(e: unknown): e is HttpException {
  if (!(e instanceof HttpException)) return false;
  const body = e.getResponse();
  return typeof body === 'object' && body !== null && 'status' in body && 'details' in body && 'error' in body;
}
