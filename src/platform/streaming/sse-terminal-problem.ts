import type { ProblemDetails } from '../errors/problem-details';

/**
 * Thrown by a stream's source to end it with an `error` event carrying exactly this problem (a
 * failure that happened elsewhere and was stored, such as a failed job's), rather than one mapped
 * from an exception. Not logged: it is an outcome, not a fault of the stream.
 */
export class SseTerminalProblem extends Error {
  constructor(readonly problem: Omit<ProblemDetails, 'instance' | 'requestId'>) {
    super(problem.detail);
    this.name = 'SseTerminalProblem';
  }
}
