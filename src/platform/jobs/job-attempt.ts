import { FennecError } from '../errors';
import { activeTracer, extractContext, SpanKind, withSpan } from '../tracing';
import { jobProblemOf } from './job-problem';
import type { JobCaller, JobKindDefinition, JobProblem, JobProgress } from './job.types';
import { JobCancelledError, JobTimeoutError } from './jobs.errors';

/** How one attempt ended. */
export type AttemptResult =
  | { kind: 'succeeded'; result: unknown }
  | { kind: 'failed'; problem: JobProblem; timedOut: boolean }
  | { kind: 'cancelled'; problem: JobProblem }
  | { kind: 'handed_back' };

/** Reason the signal carries when the instance hands a running job back at shutdown. */
export class JobHandedBackError extends Error {
  constructor() {
    super('The instance is shutting down; the job goes back to the queue');
    this.name = 'JobHandedBackError';
  }
}

export interface AttemptInput {
  jobId: string;
  kind: JobKindDefinition;
  payload: unknown;
  caller: JobCaller;
  attempt: number;
  /** The submitter's W3C trace context: the attempt's span continues that trace. */
  traceparent?: string;
  progress(progress: JobProgress): void;
  runAs<T>(caller: JobCaller, fn: () => T): T;
  /** Logs a handler failure that is not a domain error. */
  logFailure(err: unknown): void;
}

/**
 * One running attempt of a job: runs the handler with an AbortSignal, a timeout and a progress
 * reporter. `result` settles with the first of: the handler settling, the timeout (the handler
 * is not awaited further: a handler ignoring its signal no longer holds its slot), or a
 * hand-back at shutdown. A cancel only aborts the signal; the attempt ends `cancelled` once the
 * handler stops, or `failed` (JOBS.TIMEOUT) if it never does.
 */
export class RunningAttempt {
  readonly startedAt = Date.now();
  readonly result: Promise<AttemptResult>;
  private readonly controller = new AbortController();
  private settle!: (r: AttemptResult) => void;
  private settled = false;
  private cancelled = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly input: AttemptInput) {
    this.result = new Promise((resolve) => (this.settle = resolve));
    this.timer = setTimeout(() => this.timeOut(), input.kind.timeoutMs);
    this.timer.unref?.();
    void this.run();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get cancelRequested(): boolean {
    return this.cancelled;
  }

  /** Aborts the signal with JOBS.CANCELLED. */
  cancel(): void {
    if (this.settled || this.cancelled) return;
    this.cancelled = true;
    this.controller.abort(new JobCancelledError('The job was cancelled'));
  }

  /** Aborts the signal and ends the attempt at once as `handed_back`. */
  handBack(): void {
    if (this.settled) return;
    this.controller.abort(new JobHandedBackError());
    this.finish({ kind: 'handed_back' });
  }

  private async run(): Promise<void> {
    const { input } = this;
    const signal = this.controller.signal;
    try {
      const result = await this.traced(() =>
        input.runAs(input.caller, () =>
          input.kind.handler(input.payload, {
            jobId: input.jobId,
            kind: input.kind.name,
            attempt: input.attempt,
            caller: input.caller,
            tenant: input.caller.tenant,
            signal,
            progress: (p) => {
              if (!this.settled) input.progress(p);
            },
          }),
        ),
      );
      if (this.cancelled) this.finish({ kind: 'cancelled', problem: cancelledProblem() });
      else this.finish({ kind: 'succeeded', result: result ?? null });
    } catch (err) {
      if (this.cancelled) this.finish({ kind: 'cancelled', problem: cancelledProblem() });
      else {
        if (!this.settled && !(err instanceof FennecError)) input.logFailure(err);
        this.finish({ kind: 'failed', problem: jobProblemOf(err), timedOut: false });
      }
    }
  }

  /**
   * With tracing on, the attempt is a `job {kind}` span in the submitter's trace (from the stored
   * `traceparent`, whichever instance runs it), never in the trace of whatever woke the queue.
   */
  private traced<T>(fn: () => Promise<T>): Promise<T> {
    if (activeTracer() === undefined) return fn();
    const { input } = this;
    return withSpan(
      `job ${input.kind.name}`,
      {
        kind: SpanKind.CONSUMER,
        parent: extractContext(input.traceparent === undefined ? {} : { traceparent: input.traceparent }),
        attributes: {
          'fennec.job.id': input.jobId,
          'fennec.job.kind': input.kind.name,
          'fennec.job.attempt': input.attempt,
          'fennec.tenant': input.caller.tenant,
        },
      },
      fn,
    );
  }

  private timeOut(): void {
    if (this.settled) return;
    const minutes = Math.round((this.input.kind.timeoutMs / 60_000) * 100) / 100;
    const err = new JobTimeoutError(
      this.cancelled
        ? `The job was cancelled but its handler did not stop within the ${minutes} min timeout`
        : `The attempt ran longer than the ${minutes} min timeout of kind ${this.input.kind.name}`,
    );
    this.controller.abort(err);
    this.finish({ kind: 'failed', problem: jobProblemOf(err), timedOut: true });
  }

  private finish(result: AttemptResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.settle(result);
  }
}

export function cancelledProblem(detail = 'The job was cancelled'): JobProblem {
  return jobProblemOf(new JobCancelledError(detail));
}
