import type { Caller } from '../context';

/** Lifecycle states of a job. `succeeded`, `failed` and `cancelled` are terminal. */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_JOB_STATES.includes(state);
}

/** What a handler reports with `ctx.progress(...)`. */
export interface JobProgress {
  /** Work done so far, in units of `max`. */
  value: number;
  /** Total work, when known. */
  max?: number;
  /** Short machine-friendly name of the current phase (`download`, `sampling`). */
  stage?: string;
  /** One line for people. */
  message?: string;
  /** A small preview (a data URL, a text excerpt); keep it small: it travels with every event. */
  preview?: string;
}

/** The problem object of a failed (or cancelled) job: RFC 9457 fields without request data. */
export interface JobProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

/** Who submitted a job: the tenant scopes it; the handler runs as this caller. */
export type JobCaller = Pick<Caller, 'id' | 'kind' | 'roles' | 'tenant'>;

/** A job as stored and answered by the API. */
export interface JobRecord {
  id: string;
  kind: string;
  tenant: string;
  submittedBy: JobCaller;
  state: JobState;
  payload: unknown;
  /** Lower runs first (1 = most urgent). */
  priority: number;
  /** Attempts started so far. */
  attempts: number;
  maxAttempts: number;
  progress?: JobProgress;
  result?: unknown;
  problem?: JobProblem;
  idempotencyKey?: string;
  /** The instance running (or that last ran) it: `host:pid:id`. */
  runningOn?: string;
  /** A cancel was asked for while the job was running; it ends as `cancelled` once its handler stops. */
  cancelRequested?: boolean;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** A queued job does not run before this time (retry backoff). */
  runAfter?: number;
  /** Jobs of the same kind ahead of this one (queued jobs only). */
  position?: number;
  /** The submitter's W3C trace context (tracing on); internal, not part of the API view. */
  traceparent?: string;
}

/** One event in a job's history; `seq` increases per job and is the SSE event id. */
export interface JobEvent {
  jobId: string;
  seq: number;
  type: 'state' | 'progress';
  data: JobStateEventData | JobProgress;
  at: number;
}

export interface JobStateEventData {
  state: JobState;
  attempts: number;
  result?: unknown;
  problem?: JobProblem;
  /** A retry is scheduled at this time (the job went back to `queued`). */
  runAfter?: number;
}

/** What a handler receives besides its payload. */
export interface JobContext {
  jobId: string;
  kind: string;
  /** 1 for the first attempt. */
  attempt: number;
  caller: JobCaller;
  tenant: string;
  /** Aborted when the job is cancelled, times out, or the instance hands it back at shutdown. Stop upstream work on it. */
  signal: AbortSignal;
  /** Reports progress; cheap to call often (events to followers are not throttled, keep it to a few per second). */
  progress(progress: JobProgress): void;
}

/** A job kind's handler: resolves with the result (JSON-serialisable) or throws. */
export type JobHandler<P = unknown, R = unknown> = (payload: P, ctx: JobContext) => Promise<R>;

/** Retry policy: exponential backoff with full jitter, only for idempotent kinds. */
export interface JobRetryPolicy {
  /** Total attempts including the first. Default 1 (no retry). */
  attempts: number;
  /** Delay before the first retry; doubles each time. Default 1 000 ms. */
  backoffMs?: number;
  /** Upper bound of one delay. Default 5 minutes. */
  maxBackoffMs?: number;
}

/** How a service declares a job kind (see {@link JobKind}). */
export interface JobKindOptions {
  /** Unique, e.g. `comfy.workflow`: lower case, digits, `.`, `-`, `_`. */
  name: string;
  /** Jobs of this kind one instance runs at once. Default 1. */
  concurrency?: number;
  /** Jobs of this kind running at once over the whole cluster (Redis backend); default unlimited. */
  clusterConcurrency?: number;
  /** An attempt running longer than this fails with JOBS.TIMEOUT. Default JOBS_DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Safe to run twice: allows retries and re-queueing after a crash. Default false. */
  idempotent?: boolean;
  retry?: JobRetryPolicy;
  /** Lower runs first (1..1 000 000). Default 100. */
  priority?: number;
  description?: string;
}

/** A job kind as the jobs module knows it, defaults applied. */
export interface JobKindDefinition {
  name: string;
  concurrency: number;
  clusterConcurrency?: number;
  timeoutMs: number;
  idempotent: boolean;
  retry: Required<JobRetryPolicy>;
  priority: number;
  description?: string;
  handler: JobHandler;
}
