import { FennecError, problemFor } from '../errors';
import type { JobProblem } from './job.types';
import { JobHandlerFailedError } from './jobs.errors';

/**
 * The problem stored on a failed job: a domain error maps exactly as on HTTP (its code, status and
 * message); anything else is JOBS.HANDLER_FAILED with a generic detail (internals stay in the log).
 */
export function jobProblemOf(err: unknown): JobProblem {
  const domain =
    err instanceof FennecError
      ? err
      : new JobHandlerFailedError('The job handler failed unexpectedly; see the server log for the job id');
  const p = problemFor(domain, { instance: '', requestId: '' });
  return { type: p.type, title: p.title, status: p.status, detail: p.detail, code: p.code };
}
