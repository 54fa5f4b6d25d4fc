import { Inject, Injectable, Logger } from '@nestjs/common';
import { FennecError } from '../errors';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../registry';
import { hasRole } from '../context';
import { CallerContext } from '../security';
import { currentTraceparent } from '../tracing';
import type { AttemptOutcome, JobBackend, JobBackendHost, JobEventRoute, JobPage, JobWatch } from './job-backend';
import { JOB_BACKEND } from './job-backend';
import { decodeCursor } from './job-cursor';
import { JobKindRegistry } from './job-kind-registry';
import { JobWorkerPool } from './job-worker-pool';
import { isTerminal, type JobCaller, type JobEvent, type JobRecord, type JobStateEventData } from './job.types';
import { jobsConfig, type JobsConfig } from './jobs.config';
import { InvalidJobPayloadError, InvalidJobQueryError, JobNotFoundError, JobsUnavailableError } from './jobs.errors';
import { JobsMetrics } from './jobs.metrics';

/** Options of {@link JobsService.submit}. */
export interface SubmitOptions {
  /** Per tenant: a repeated key returns the job it created first. */
  idempotencyKey?: string;
  /** Overrides the kind's priority (lower runs first). */
  priority?: number;
}

export interface JobListOptions {
  kind?: string;
  state?: JobRecord['state'];
  cursor?: string;
  limit?: number;
}

type EventListener = (event: JobEvent) => void;

/** Attempt outcomes kept per kind for the "failing kinds" health rule. */
const RECENT_OUTCOMES = 20;
const FAILING_MIN_SAMPLES = 5;
const FAILING_RATIO = 0.5;

/**
 * Platform jobs: services submit work of a declared {@link JobKind}; it runs in the background
 * with progress, cancel, retry, timeout and durable records, on the embedded or the Redis
 * backend. Every read and write is scoped to the caller's tenant (admins see every tenant).
 *
 * Services that submit declare `dependsOn: ['jobs']`, so the registry stops them before `jobs`.
 */
@ManagedService({
  name: 'jobs',
  // Like `state`: with Redis away the instance still boots and serves what does not need jobs.
  critical: false,
  description: 'Background jobs: durable records, progress, cancel, retries (embedded or BullMQ on Redis)',
  dependsOn: ['data-dir', { name: 'state', optional: true }],
  // The stop hook bounds itself by JOBS_DRAIN_TIMEOUT_MS (at most an hour); this only guards a hang.
  stopTimeoutMs: 3_630_000,
  healthTtlMs: 2_000,
})
@Injectable()
export class JobsService implements ManagedLifecycle {
  private readonly logger = new Logger('jobs');
  private readonly byJob = new Map<string, Set<EventListener>>();
  /** Listeners of every job's events, each with the tenant it watches (undefined: all tenants). */
  private readonly everyJob = new Map<EventListener, string | undefined>();
  private readonly recent = new Map<string, boolean[]>();
  private accepting = false;
  private started = false;
  private retentionTimer?: NodeJS.Timeout;

  constructor(
    @Inject(JOB_BACKEND) private readonly backend: JobBackend,
    private readonly kinds: JobKindRegistry,
    private readonly callers: CallerContext,
    private readonly metrics: JobsMetrics,
    private readonly workers: JobWorkerPool,
    @Inject(jobsConfig.KEY) private readonly config: JobsConfig,
  ) {
    metrics.readStatsFrom(() => (this.started ? this.backend.stats() : Promise.resolve([])));
  }

  /** Which backend holds the jobs. */
  get backendName(): JobBackend['name'] {
    return this.backend.name;
  }

  async start(): Promise<void> {
    const host: JobBackendHost = {
      kinds: this.kinds,
      onEvent: (e, route) => this.dispatch(e, route),
      onAttemptStarted: (kind, waitMs) => this.metrics.started(kind, waitMs),
      onAttemptEnded: (kind, outcome, runMs) => this.recordOutcome(kind, outcome, runMs),
      runAs: (caller, fn) => this.callers.run(caller, fn),
    };
    await this.backend.start(host);
    this.started = true;
    this.accepting = true;
    const every = Math.min(this.config.retentionMs, 60_000);
    this.retentionTimer = setInterval(() => void this.purge(), every);
    this.retentionTimer.unref();
    this.logger.log({ backend: this.backend.name, kinds: this.kinds.list().map((k) => k.name) }, 'jobs started');
  }

  /** Stops taking jobs, drains running ones for JOBS_DRAIN_TIMEOUT_MS, hands the rest back. */
  async stop(): Promise<void> {
    this.accepting = false;
    clearInterval(this.retentionTimer);
    if (!this.started) return;
    this.started = false;
    await this.backend.stop(this.config.drainTimeoutMs);
    await this.workers.destroy();
  }

  async checkHealth(): Promise<ServiceHealthReport> {
    if (this.backend.available?.() === false) {
      return {
        status: 'DOWN',
        reason: `${this.backend.name} backend unreachable`,
        details: { backend: this.backend.name },
      };
    }
    const stats = await this.backend.stats();
    const now = Date.now();
    const backlog = stats.reduce((n, s) => n + s.queued, 0);
    const running = stats.reduce((n, s) => n + s.running, 0);
    const oldest = Math.min(...stats.map((s) => s.oldestQueuedAt ?? Infinity));
    const oldestQueuedAgeMs = oldest === Infinity ? 0 : now - oldest;
    const paused = await this.backend.pausedKinds();
    const failingKinds = [...this.recent].filter(([, r]) => isFailing(r)).map(([k]) => k);
    const details = { backend: this.backend.name, backlog, running, oldestQueuedAgeMs, failingKinds, paused };
    const reasons: string[] = [];
    if (backlog > this.config.healthMaxBacklog) reasons.push(`${backlog} jobs queued`);
    const pausedSet = new Set(paused);
    const staleRunnable = stats.some(
      (s) =>
        !pausedSet.has(s.kind) &&
        s.oldestQueuedAt !== undefined &&
        now - s.oldestQueuedAt > this.config.healthMaxQueuedAgeMs,
    );
    if (staleRunnable) reasons.push(`a job has waited ${Math.round(oldestQueuedAgeMs / 1000)} s to start`);
    if (failingKinds.length > 0) reasons.push(`most recent attempts failed: ${failingKinds.join(', ')}`);
    return reasons.length > 0 ? { status: 'DEGRADED', reason: reasons.join('; '), details } : { status: 'UP', details };
  }

  /**
   * Submits a job as `caller`; resolves once it is stored durably. `created: false` when the
   * idempotency key matched an earlier job (returned instead of a duplicate).
   */
  async submit(
    kind: string,
    payload: unknown,
    caller: JobCaller,
    options: SubmitOptions = {},
  ): Promise<{ job: JobRecord; created: boolean }> {
    if (!this.accepting)
      throw new JobsUnavailableError('This instance is not accepting jobs (starting or stopping)', {
        retryAfterSeconds: 1,
      });
    this.kinds.require(kind);
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(payload ?? null));
    } catch {
      throw new InvalidJobPayloadError('The job payload must be JSON-serialisable');
    }
    if (bytes > this.config.maxPayloadBytes) {
      throw new InvalidJobPayloadError(
        `The job payload is ${bytes} bytes; at most ${this.config.maxPayloadBytes} are accepted`,
      );
    }
    const submitter: JobCaller = { id: caller.id, kind: caller.kind, roles: caller.roles, tenant: caller.tenant };
    const traceparent = currentTraceparent();
    return this.guard(() =>
      this.backend.submit({ kind, payload, caller: submitter, ...options, ...(traceparent && { traceparent }) }),
    );
  }

  /** The job if `caller` may see it (its tenant's, or any for admins), else JOBS.NOT_FOUND. */
  async get(id: string, caller: JobCaller): Promise<JobRecord> {
    const job = await this.guard(() => this.backend.get(id));
    if (!job || !visibleTo(job, caller)) throw new JobNotFoundError(`No job ${id}`);
    return job;
  }

  async list(caller: JobCaller, options: JobListOptions = {}): Promise<JobPage> {
    if (options.cursor !== undefined && decodeCursor(options.cursor) === undefined) {
      throw new InvalidJobQueryError('cursor is not a cursor this API issued', {
        fieldErrors: [{ field: 'cursor', message: 'must be the nextCursor of a previous page' }],
      });
    }
    return this.guard(() =>
      this.backend.list({
        tenant: hasRole(caller, 'admin') ? undefined : caller.tenant,
        kind: options.kind,
        state: options.state,
        cursor: options.cursor,
        limit: options.limit ?? 50,
      }),
    );
  }

  async cancel(id: string, caller: JobCaller): Promise<JobRecord> {
    await this.get(id, caller);
    return this.guard(() => this.backend.cancel(id));
  }

  async retry(id: string, caller: JobCaller): Promise<JobRecord> {
    await this.get(id, caller);
    return this.guard(() => this.backend.retry(id));
  }

  /** Pauses (or resumes) starting jobs of a kind, cluster-wide; submissions are still accepted. */
  async setPaused(kind: string, paused: boolean): Promise<string[]> {
    this.kinds.require(kind);
    await this.guard(() => this.backend.setPaused(kind, paused));
    return this.guard(() => this.backend.pausedKinds());
  }

  pausedKinds(): Promise<string[]> {
    return this.guard(() => this.backend.pausedKinds());
  }

  /**
   * The job's events after `afterSeq`: stored ones first, then live ones, ending after the
   * terminal `state` event (at once if the job already ended). Stops when `signal` aborts.
   */
  async *follow(id: string, caller: JobCaller, afterSeq: number, signal: AbortSignal): AsyncGenerator<JobEvent> {
    await this.get(id, caller);
    const live: JobEvent[] = [];
    let wake: (() => void) | undefined;
    const unsubscribe = this.onJobEvent(id, (e) => {
      live.push(e);
      wake?.();
    });
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    let last = afterSeq;
    let unwatch: (() => void) | undefined;
    try {
      // Other instances' events for this job reach this one from now on; stored ones are read after.
      unwatch = await this.guard(async () => this.backend.watch?.({ job: id }));
      for (const e of await this.backend.events(id, last)) {
        last = e.seq;
        yield e;
        if (endsJob(e)) return;
      }
      // Resumed after the end: nothing newer will come.
      const now = await this.backend.get(id);
      if (!now || isTerminal(now.state)) return;
      while (!signal.aborted) {
        const next = live.shift();
        if (next === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (next.seq <= last) continue;
        // A gap (an event published elsewhere did not reach us): fill it from storage.
        const batch = next.seq === last + 1 ? [next] : await this.backend.events(id, last);
        for (const e of batch) {
          if (e.seq <= last) continue;
          last = e.seq;
          yield e;
          if (endsJob(e)) return;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      unsubscribe();
      unwatch?.();
    }
  }

  /** Listens to one job's events reaching this instance. Returns the unsubscribe function. */
  onJobEvent(id: string, listener: EventListener): () => void {
    let set = this.byJob.get(id);
    if (!set) this.byJob.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byJob.delete(id);
    };
  }

  /**
   * Listens to every job event reaching this instance, of `tenant`'s jobs or (undefined) of every
   * tenant's; events emitted on this instance reach every listener, so filter by tenant yourself.
   * The listener is registered at once; resolves with the unsubscribe function once other
   * instances' events reach this one too (never rejects: without Redis, local events still come).
   */
  async onAnyJobEvent(listener: EventListener, tenant?: string): Promise<() => void> {
    this.everyJob.set(listener, tenant);
    const scope: JobWatch = tenant === undefined ? { allTenants: true } : { tenant };
    const unwatch = await (this.backend.watch?.(scope) ?? Promise.resolve(undefined)).catch((err: unknown) => {
      this.logger.warn({ err, tenant }, 'could not watch job events of other instances');
      return undefined;
    });
    return () => {
      this.everyJob.delete(listener);
      unwatch?.();
    };
  }

  /**
   * A storage failure while the backend is unreachable (Redis away) is JOBS.UNAVAILABLE (503,
   * retry later), not an internal error; other failures pass through unchanged.
   */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (!(err instanceof FennecError) && this.backend.available?.() === false) {
        throw new JobsUnavailableError('Job storage is unreachable; try again shortly', {
          cause: err,
          retryAfterSeconds: 2,
        });
      }
      throw err;
    }
  }

  /** Emitted here (no route): every listener; received for a watch: only that watch's listeners. */
  private dispatch(e: JobEvent, route: JobEventRoute): void {
    if (route === undefined || 'job' in route) for (const l of this.byJob.get(e.jobId) ?? []) l(e);
    if (route !== undefined && 'job' in route) return;
    for (const [l, tenant] of this.everyJob) if (receivesThrough(route, tenant)) l(e);
  }

  private recordOutcome(kind: string, outcome: AttemptOutcome, runMs: number): void {
    this.metrics.ended(kind, outcome, runMs);
    if (outcome === 'handed_back' || outcome === 'cancelled') return;
    const r = this.recent.get(kind) ?? [];
    r.push(outcome !== 'succeeded');
    if (r.length > RECENT_OUTCOMES) r.shift();
    this.recent.set(kind, r);
  }

  private async purge(): Promise<void> {
    try {
      const n = await this.backend.purgeFinished(Date.now() - this.config.retentionMs);
      if (n > 0) this.logger.log({ removed: n }, 'removed finished jobs past retention');
    } catch (err) {
      this.logger.warn({ err }, 'job retention sweep failed');
    }
  }
}

function visibleTo(job: JobRecord, caller: JobCaller): boolean {
  return job.tenant === caller.tenant || hasRole(caller, 'admin');
}

function isFailing(recent: boolean[]): boolean {
  if (recent.length < FAILING_MIN_SAMPLES) return false;
  return recent.filter(Boolean).length / recent.length >= FAILING_RATIO;
}

/** A `state` event into a terminal state. */
export function endsJob(e: JobEvent): boolean {
  return e.type === 'state' && isTerminal((e.data as JobStateEventData).state);
}

/**
 * Whether a listener of every job's events of `tenant` (undefined: of all tenants) gets an event
 * that reached this instance by `route`: emitted here, every one (it filters by tenant itself);
 * received for a tenant's watch, that tenant's listeners; received for the all-tenants watch, the
 * all-tenants listeners.
 */
function receivesThrough(route: undefined | { tenant: string } | { allTenants: true }, tenant?: string): boolean {
  if (route === undefined) return true;
  return 'tenant' in route ? tenant === route.tenant : tenant === undefined;
}
