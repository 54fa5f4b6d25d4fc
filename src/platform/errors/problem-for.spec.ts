import { BadRequestException, HttpException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { FennecError } from './fennec-error';
import { GENERIC_500, problemFor } from './problem-for';

class QuotaError extends FennecError {
  readonly code = 'TEST.QUOTA';
  readonly kind = 'rate_limited' as const;
}
class BrokenError extends FennecError {
  readonly code = 'TEST.BROKEN';
  readonly kind = 'internal' as const;
}

const site = { instance: '/v1/x', requestId: 'r-1' };

describe('problemFor', () => {
  it('should map a domain error by its kind, with Retry-After for 429', () => {
    const p = problemFor(new QuotaError('slow down'), site);
    expect(p).toMatchObject({ status: 429, code: 'TEST.QUOTA', detail: 'slow down', retryAfter: 1, requestId: 'r-1' });
    expect(p.type).toBe('urn:fennec:problem:test.quota');
  });

  it('should never put an internal error message in the detail', () => {
    expect(problemFor(new BrokenError('db password wrong'), site).detail).toBe(GENERIC_500);
    expect(problemFor(new TypeError('x is undefined'), site)).toMatchObject({
      status: 500,
      code: 'INTERNAL.ERROR',
      detail: GENERIC_500,
    });
  });

  it('should map HttpExceptions by status, keeping 4xx messages and hiding 5xx ones', () => {
    expect(problemFor(new BadRequestException('bad thing'), site)).toMatchObject({ status: 400, detail: 'bad thing' });
    const unavailable = problemFor(new ServiceUnavailableException('pool at 10.0.0.3 down'), {
      ...site,
      retryAfterHeader: '7',
    });
    expect(unavailable).toMatchObject({ status: 503, detail: GENERIC_500, retryAfter: 7 });
    expect(problemFor(new HttpException({ code: 'X.Y', message: 'm' }, 409), site)).toMatchObject({ code: 'X.Y' });
  });

  it("should turn Nest's unknown-route 404 into ROUTE.NOT_FOUND", () => {
    expect(problemFor(new NotFoundException('Cannot GET /nope'), site)).toMatchObject({
      status: 404,
      code: 'ROUTE.NOT_FOUND',
      detail: 'No route matches GET /nope',
    });
  });
});
