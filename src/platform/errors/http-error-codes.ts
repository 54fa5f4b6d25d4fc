import { HttpStatus } from '@nestjs/common';

/** Stable codes for HttpExceptions thrown by Nest or libraries, which carry no code of their own. */
const CODE_BY_STATUS: Partial<Record<number, string>> = {
  400: 'REQUEST.INVALID',
  401: 'AUTH.REQUIRED',
  403: 'AUTH.FORBIDDEN',
  404: 'RESOURCE.NOT_FOUND',
  405: 'REQUEST.METHOD_NOT_ALLOWED',
  406: 'REQUEST.NOT_ACCEPTABLE',
  409: 'RESOURCE.CONFLICT',
  413: 'REQUEST.PAYLOAD_TOO_LARGE',
  415: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMIT.EXCEEDED',
  503: 'SERVICE.UNAVAILABLE',
  504: 'UPSTREAM.TIMEOUT',
};

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL.ERROR' : `HTTP.${HttpStatus[status] ?? status}`);
}

/** Reason phrase used as the problem `title`. */
export function titleForStatus(status: number): string {
  const name = HttpStatus[status];
  if (typeof name !== 'string') return status >= 500 ? 'Server Error' : 'Client Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => (w === 'uri' ? 'URI' : w[0].toUpperCase() + w.slice(1)))
    .join(' ');
}
