import { HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { MetricsService } from '../metrics/metrics.service';
import { routeTemplate } from '../metrics/route-template';
import { fromBodyParserError } from './body-parser-errors';
import { RouteNotFoundError } from './common.errors';
import { STATUS_BY_KIND } from './error-kind';
import { FennecError } from './fennec-error';
import { codeForStatus, titleForStatus } from './http-error-codes';
import { problemType, type ProblemDetails } from './problem-details';

export const GENERIC_500 = 'An unexpected error occurred. Quote the requestId when reporting it.';

type Mapped = Omit<ProblemDetails, 'type' | 'instance' | 'requestId'>;

/** Where a problem happened: what becomes `instance` and `requestId`. */
export interface ProblemSite {
  instance: string;
  requestId: string;
  /** A `Retry-After` already set on the response (429/503 from a guard), reused as `retryAfter`. */
  retryAfterHeader?: unknown;
}

/**
 * The one mapping from anything thrown to RFC 9457 problem details, used by the exception
 * filter, the SSE toolkit's `error` events and the drop-in API surfaces that answer in another
 * dialect: domain errors by their kind, body-parser failures by what went wrong, Nest
 * HttpExceptions by status (Nest's "Cannot GET /x" becomes ROUTE.NOT_FOUND), anything else 500
 * with a generic detail. 5xx details never carry internals.
 */
export function problemFor(exception: unknown, site: ProblemSite): ProblemDetails {
  const mapped = map(exception, site.retryAfterHeader);
  return {
    type: problemType(mapped.code),
    title: mapped.title,
    status: mapped.status,
    detail: mapped.detail,
    instance: site.instance,
    code: mapped.code,
    requestId: site.requestId,
    ...(mapped.errors ? { errors: mapped.errors } : {}),
    ...(mapped.retryAfter !== undefined ? { retryAfter: mapped.retryAfter } : {}),
  };
}

/** `instance` and `requestId` of a request, as every problem about it carries them. */
export function problemSite(req: Request, res?: Response): ProblemSite {
  const id: unknown = req.id;
  return {
    instance: (req.originalUrl ?? req.url ?? '').split('?')[0].slice(0, 256),
    requestId: typeof id === 'string' || typeof id === 'number' ? String(id) : '',
    retryAfterHeader: res?.getHeader('Retry-After'),
  };
}

/**
 * What answering `problem` for a request involves besides the body: count it in
 * `fennec_http_errors_total`, set `Retry-After`, and hand a 5xx's cause to the request's
 * completion log line (`res.err`, logged with the stack and the request id).
 */
export function recordProblem(
  problem: ProblemDetails,
  exception: unknown,
  req: Request,
  res: Response,
  metrics: MetricsService,
): void {
  if (problem.status >= 500) res.err = exception instanceof Error ? exception : new Error(String(exception));
  metrics.countHttpError(problem.code, routeTemplate(req), problem.status);
  if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
}

function map(exception: unknown, retryAfterHeader: unknown): Mapped {
  // Nest wraps body-parser's errors in an HttpException; the original is its `cause`.
  const domain =
    exception instanceof FennecError
      ? exception
      : fromBodyParserError(exception instanceof HttpException ? exception.cause : exception);
  if (domain) return fromDomain(domain);
  if (exception instanceof HttpException) return fromHttp(exception, retryAfterHeader);
  return { status: 500, title: titleForStatus(500), code: 'INTERNAL.ERROR', detail: GENERIC_500 };
}

function fromDomain(e: FennecError): Mapped {
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

function fromHttp(e: HttpException, retryAfterHeader: unknown): Mapped {
  const status = e.getStatus();
  if (status === 404 && /^Cannot [A-Z]+ /.test(e.message)) {
    return fromDomain(new RouteNotFoundError(`No route matches ${e.message.slice(7)}`));
  }
  const body = e.getResponse();
  const message: unknown = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? e.message);
  const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : e.message;
  const detail = status >= 500 ? GENERIC_500 : text;
  const headerRetry = Number(retryAfterHeader);
  const retryAfter =
    status === 429 || status === 503 ? (Number.isFinite(headerRetry) && headerRetry > 0 ? headerRetry : 1) : undefined;
  const code =
    typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string'
      ? (body as { code: string }).code
      : codeForStatus(status);
  return { status, title: titleForStatus(status), code, detail, retryAfter };
}
