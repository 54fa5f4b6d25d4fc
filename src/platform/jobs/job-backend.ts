import type { JobCaller, JobEvent, JobKindDefinition, JobRecord, JobState } from './job.types';

/** What a submission carries (validated by the jobs service). */
export interface JobSubmission {
  kind: string;
  payload: unknown;
  caller: JobCaller;
  /** Per-tenant; a second submission with the same key returns the first job. */
  idempotencyKey?: string;
  /** Overrides the kind's priority (lower runs first). */
  priority?: number;
  /** W3C trace context of the submitter (tracing on): the run joins the submitter's trace. */
  traceparent?: string;
}

export interface JobListQuery {
  /** Only this tenant's jobs; undefined: every tenant's (admins). */
  tenant?: string;
  kind?: string;
  state?: JobState;
  /** Opaque, from a previous page's `nextCursor`. */
  cursor?: string;
  limit: number;
}

export interface JobPage {
  items: JobRecord[];
  nextCursor?: string;
}

/** Per-kind counts the health check and the gauges read. */
export interface JobKindStats {
  kind: string;
  queued: number;
  running: number;
  /** createdAt of the oldest job that is queued and due (not waiting for a retry backoff). */
  oldestQueuedAt?: number;
}

/** How an attempt ended, as the backend reports it to the host (metrics, health). */
export type AttemptOutcome = 'succeeded' | 'failed' | 'retrying' | 'cancelled' | 'timeout' | 'handed_back';

/**
 * Which events another instance's follower asked for (see {@link JobBackend.watch}): one job's,
 * every job's of one tenant, or every job's (admins).
 */
export type JobWatch = { job: string } | { tenant: string } | { allTenants: true };

/**
 * How an event reached this instance: emitted here (`undefined`: every local listener may want
 * it), or received for one {@link JobWatch} from another instance (only that watch's listeners).
 */
export type JobEventRoute = undefined | JobWatch;

/**
 * What the jobs service gives a backend at start: the kinds, and callbacks for events and
 * attempts (live delivery to followers, metrics, health).
 */
export interface JobBackendHost {
  kinds: { get(name: string): JobKindDefinition | undefined; list(): JobKindDefinition[] };
  /**
   * An event of a job reached this instance: emitted here (no route), or received from another
   * instance for a watch this instance holds (the route says which).
   */
  onEvent(event: JobEvent, route?: JobEventRoute): void;
  /** An attempt started on this instance, `waitMs` after the job became due. */
  onAttemptStarted(kind: string, waitMs: number): void;
  /** An attempt that ran on this instance ended. */
  onAttemptEnded(kind: string, outcome: AttemptOutcome, runMs: number): void;
  /** Runs `fn` as the job's caller (request context for CallerContext). */
  runAs<T>(caller: JobCaller, fn: () => T): T;
}

/**
 * Storage and execution of jobs. One interface, one contract suite (job-backend.contract.ts),
 * two implementations: embedded (memory plus a durable log in DATA_DIR) and Redis (BullMQ).
 *
 * Tenancy is the caller's business (the service checks it); the backend stores and runs.
 */
export interface JobBackend {
  readonly name: 'embedded' | 'redis';
  /** Opens storage, recovers jobs interrupted by a crash, and starts taking jobs. */
  start(host: JobBackendHost): Promise<void>;
  /**
   * Stops taking jobs, lets running ones finish for up to `drainMs`, then aborts the rest and
   * hands them back (queued again, the attempt not counted), and closes storage.
   */
  stop(drainMs: number): Promise<void>;
  /** Durable when it resolves. `created: false`: the idempotency key matched an existing job. */
  submit(submission: JobSubmission): Promise<{ job: JobRecord; created: boolean }>;
  get(id: string): Promise<JobRecord | undefined>;
  list(query: JobListQuery): Promise<JobPage>;
  /**
   * Queued: removed from the queue (`cancelled`). Running: its signal aborts; it ends `cancelled`
   * when the handler stops, or `failed` at its timeout if it ignores the signal. Terminal:
   * JOBS.STATE_CONFLICT. Resolves with the record as it is now.
   */
  cancel(id: string): Promise<JobRecord>;
  /** A failed or cancelled job is queued again (attempts start over); else JOBS.STATE_CONFLICT. */
  retry(id: string): Promise<JobRecord>;
  /** Paused kinds keep accepting jobs but start none until resumed (cluster-wide). */
  setPaused(kind: string, paused: boolean): Promise<void>;
  pausedKinds(): Promise<string[]>;
  /** The job's events with `seq > afterSeq`, oldest first (kept until retention removes the job). */
  events(id: string, afterSeq: number): Promise<JobEvent[]>;
  stats(): Promise<JobKindStats[]>;
  /**
   * Makes other instances' events for `scope` reach this instance's `onEvent` until the returned
   * function is called; resolves once they do (a follower reads stored events only after that,
   * so none falls in between). Watches are counted: the same scope may be watched many times.
   * Absent: every event is emitted on this instance (the embedded backend).
   */
  watch?(scope: JobWatch): Promise<() => void>;
  /** False while the backend's storage is unreachable (Redis away); absent: always available. */
  available?(): boolean;
  /** Removes finished jobs (and their events) that finished before `before`; returns how many. */
  purgeFinished(before: number): Promise<number>;
}

export const JOB_BACKEND = Symbol('JOB_BACKEND');
