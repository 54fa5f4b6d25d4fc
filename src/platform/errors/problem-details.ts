import type { FieldError } from './fennec-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details, as every Fennec error answers. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  errors?: FieldError[];
  retryAfter?: number;
}

/** `type` is a stable URN per code; docs/api.md lists every code and what it means. */
export const PROBLEM_TYPE_BASE = 'urn:fennec:problem:';

export function problemType(code: string): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase();
}
