import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DurableLog } from '../storage';
import { retryDelayMs } from './job-kind-registry';
import { cancelledProblem, RunningAttempt } from './job-attempt';
import type {
  AttemptOutcome,
  JobBackend,
  JobBackendHost,
  JobKindStats,
  JobListQuery,
  JobPage,
  JobSubmission,
} from './job-backend';
import { decodeCursor, encodeCursor } from './job-cursor';
import { jobProblemOf } from './job-problem';
import {
  isTerminal,
  type JobEvent,
  type JobProblem,
  type JobProgress,
  type JobRecord,
  type JobStateEventData,
} from './job.types';
import { JobInterruptedError, JobNotFoundError, JobStateConflictError } from './jobs.errors';

const INSTANCE = `${hostname()}:${process.pid}`;

/** One acknowledged change, as appended to the log and replayed at start. */
type JobOperation =
  | { op: 'submit'; job: JobRecord; event: JobEvent }
  /** The record without its payload (unchanged after submit, and possibly large). */
  | { op: 'update'; job: Omit<JobRecord, 'payload'>; event?: JobEvent }
  | { op: 'progress'; id: string; progress: JobProgress; event: JobEvent }
  | { op: 'pause'; kind: string; paused: boolean }
  | { op: 'purge'; ids: string[] };

/** A snapshot line: one job with its events, or one paused kind. */
type JobSnapshotEntry = { job: JobRecord; events: JobEvent[] } | { paused: string };

export interface EmbeddedJobBackendOptions {
  /** Directory of the log and snapshot (DATA_DIR/jobs); created if missing. */
  dir: string;
  /** fsync each change before it is acknowledged (default true; off only in benchmarks/tests). */
  fsync?: boolean;
  /** Log operations between compactions (a snapshot rewrites every job and event); default 10 000. */
  snapshotEvery?: number;
}

/**
 * The default backend, run by this process: job records, events and paused kinds held in memory
 * and made durable by an append-only log in DATA_DIR/jobs ({@link DurableLog}: every change is
 * appended and fsynced, synchronously, before the call that made it resolves, so an acknowledged submission
 * survives `kill -9` and an OS crash; the log is compacted into a snapshot every
 * `snapshotEvery` changes and at stop). Pure JavaScript, so it needs no native module.
 * Changes go through one promise queue, so concurrent calls never interleave half-applied
 * state. One process per directory.
 */
export class EmbeddedJobBackend implements JobBackend {
  readonly name = 'embedded' as const;
  private readonly logger = new Logger('jobs');
  private log?: DurableLog<JobOperation, JobSnapshotEntry>;
  private host?: JobBackendHost;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly jobEvents = new Map<string, JobEvent[]>();
  /** `tenant\nkey` → job id. */
  private readonly byIdempotencyKey = new Map<string, string>();
  /** Ids of queued or running jobs, per kind (scheduling, positions, stats). */
  private readonly active = new Map<string, Set<string>>();
  /** Every job id, oldest first by (createdAt, id): the listing order reversed. */
  private order: string[] = [];
  private readonly paused = new Set<string>();
  /** Changes are applied and logged one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Changes waiting in or running through `queue`; progress skips the queue when it is 0. */
  private queued = 0;
  private readonly running = new Map<string, RunningAttempt>();
  private readonly runningByKind = new Map<string, number>();
  /** Completion handlers of attempts that ended, not yet recorded. */
  private readonly recording = new Set<Promise<void>>();
  private accepting = false;
  private pumpQueued = false;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;

  constructor(private readonly options: EmbeddedJobBackendOptions) {}

  async start(host: JobBackendHost): Promise<void> {
    this.host = host;
    this.clear();
    const log = new DurableLog<JobOperation, JobSnapshotEntry>(this.options.dir, {
      fsync: this.options.fsync ?? true,
    });
    await log.load(
      (entry) => this.applyEntry(entry),
      (op) => this.apply(op),
    );
    this.log = log;
    await this.serialized(() => this.recoverInterrupted());
    this.accepting = true;
    this.schedulePump();
  }

  async stop(drainMs: number): Promise<void> {
    this.accepting = false;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const pending = [...this.running.values()].map((a) => a.result);
    if (pending.length > 0 && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(pending),
        new Promise((resolve) => (timer = setTimeout(resolve, drainMs))),
      ]);
      clearTimeout(timer);
    }
    for (const attempt of this.running.values()) attempt.handBack();
    await Promise.allSettled([...this.running.values()].map((a) => a.result));
    // Hand-backs settle synchronously; let their completion handlers record them.
    await new Promise((resolve) => setImmediate(resolve));
    await Promise.allSettled([...this.recording]);
    const log = this.log;
    if (!log) return;
    await this.serialized(async () => {
      if (log.pendingOps > 0) await log.snapshot(this.entries());
      await log.close();
    });
    this.log = undefined;
  }

  submit(s: JobSubmission): Promise<{ job: JobRecord; created: boolean }> {
    this.requireLog();
    return this.serialized(async () => {
      if (s.idempotencyKey !== undefined) {
        const existing = this.byIdempotencyKey.get(idempotencyIndexKey(s.caller.tenant, s.idempotencyKey));
        if (existing !== undefined) return { job: this.withPosition(this.jobs.get(existing)!), created: false };
      }
      const kind = this.host!.kinds.get(s.kind);
      const now = Date.now();
      const job = compact<JobRecord>({
        id: randomUUID(),
        kind: s.kind,
        tenant: s.caller.tenant,
        submittedBy: { id: s.caller.id, kind: s.caller.kind, roles: s.caller.roles, tenant: s.caller.tenant },
        state: 'queued',
        payload: jsonClone(s.payload ?? null),
        priority: s.priority ?? kind?.priority ?? 100,
        attempts: 0,
        maxAttempts: kind?.retry.attempts ?? 1,
        idempotencyKey: s.idempotencyKey,
        traceparent: s.traceparent,
        createdAt: now,
        updatedAt: now,
      });
      const event = this.nextEvent(job.id, 'state', { state: 'queued', attempts: 0 }, now);
      await this.commit({ op: 'submit', job, event });
      this.host!.onEvent(event);
      this.schedulePump();
      return { job: this.withPosition(job), created: true };
    });
  }

  get(id: string): Promise<JobRecord | undefined> {
    this.requireLog();
    const job = this.jobs.get(id);
    return Promise.resolve(job && this.withPosition(job));
  }

  list(q: JobListQuery): Promise<JobPage> {
    this.requireLog();
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    // Newest first: walk the ascending order backwards from just below the cursor.
    let i = this.order.length - 1;
    if (cursor) i = this.indexBelow(cursor.createdAt, cursor.id);
    const items: JobRecord[] = [];
    let more = false;
    for (; i >= 0; i--) {
      const job = this.jobs.get(this.order[i])!;
      if (q.tenant !== undefined && job.tenant !== q.tenant) continue;
      if (q.kind !== undefined && job.kind !== q.kind) continue;
      if (q.state !== undefined && job.state !== q.state) continue;
      if (items.length === q.limit) {
        more = true;
        break;
      }
      items.push(this.withPosition(job));
    }
    const last = items[items.length - 1];
    return Promise.resolve({
      items,
      nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : undefined,
    });
  }

  cancel(id: string): Promise<JobRecord> {
    this.requireLog();
    return this.serialized(async () => {
      const job = this.jobs.get(id);
      if (!job) throw new JobNotFoundError(`No job ${id}`);
      if (isTerminal(job.state)) throw new JobStateConflictError(`Job ${id} is already ${job.state}`);
      if (job.state === 'queued') {
        const problem = cancelledProblem('The job was cancelled before it started');
        const done = await this.update(id, (j) => ({ ...j, state: 'cancelled', problem, finishedAt: Date.now() }), {
          state: 'cancelled',
          attempts: job.attempts,
          problem,
        });
        this.host!.onAttemptEnded(job.kind, 'cancelled', 0);
        return this.withPosition(done);
      }
      this.running.get(id)?.cancel();
      return this.withPosition(await this.update(id, (j) => ({ ...j, cancelRequested: true })));
    });
  }

  retry(id: string): Promise<JobRecord> {
    this.requireLog();
    return this.serialized(async () => {
      const job = this.jobs.get(id);
      if (!job) throw new JobNotFoundError(`No job ${id}`);
      if (job.state !== 'failed' && job.state !== 'cancelled') {
        throw new JobStateConflictError(`Only failed or cancelled jobs can be retried; job ${id} is ${job.state}`);
      }
      const updated = await this.update(
        id,
        (j) => ({
          ...j,
          state: 'queued',
          attempts: 0,
          problem: undefined,
          result: undefined,
          cancelRequested: undefined,
          finishedAt: undefined,
          startedAt: undefined,
          runAfter: undefined,
        }),
        { state: 'queued', attempts: 0 },
      );
      this.schedulePump();
      return this.withPosition(updated);
    });
  }

  setPaused(kind: string, paused: boolean): Promise<void> {
    this.requireLog();
    return this.serialized(async () => {
      if (this.paused.has(kind) !== paused) await this.commit({ op: 'pause', kind, paused });
      if (!paused) this.schedulePump();
    });
  }

  pausedKinds(): Promise<string[]> {
    return Promise.resolve([...this.paused].sort());
  }

  events(id: string, afterSeq: number): Promise<JobEvent[]> {
    this.requireLog();
    return Promise.resolve((this.jobEvents.get(id) ?? []).filter((e) => e.seq > afterSeq));
  }

  stats(): Promise<JobKindStats[]> {
    const now = Date.now();
    const byKind = new Map<string, JobKindStats>();
    for (const k of this.host?.kinds.list() ?? []) byKind.set(k.name, { kind: k.name, queued: 0, running: 0 });
    for (const [kind, ids] of this.active) {
      if (ids.size === 0) continue;
      const s = byKind.get(kind) ?? { kind, queued: 0, running: 0 };
      for (const id of ids) {
        const job = this.jobs.get(id)!;
        if (job.state === 'running') s.running++;
        else {
          s.queued++;
          if ((job.runAfter ?? 0) <= now && (s.oldestQueuedAt === undefined || job.createdAt < s.oldestQueuedAt)) {
            s.oldestQueuedAt = job.createdAt;
          }
        }
      }
      byKind.set(kind, s);
    }
    return Promise.resolve([...byKind.values()]);
  }

  purgeFinished(before: number): Promise<number> {
    this.requireLog();
    return this.serialized(async () => {
      const ids: string[] = [];
      for (const job of this.jobs.values()) {
        if (job.finishedAt !== undefined && job.finishedAt < before) ids.push(job.id);
      }
      if (ids.length > 0) await this.commit({ op: 'purge', ids });
      return ids.length;
    });
  }

  /** Jobs a crash left `running`: re-queued when their kind is idempotent, else failed (JOBS.INTERRUPTED). */
  private async recoverInterrupted(): Promise<void> {
    const interrupted = [...this.jobs.values()].filter((j) => j.state === 'running');
    for (const job of interrupted) {
      const kind = this.host!.kinds.get(job.kind);
      if (kind?.idempotent && !job.cancelRequested) {
        await this.update(job.id, (j) => ({ ...j, state: 'queued', startedAt: undefined, runAfter: undefined }), {
          state: 'queued',
          attempts: job.attempts,
        });
        this.logger.warn(
          { jobId: job.id, kind: job.kind },
          'job interrupted by a restart; re-queued (idempotent kind)',
        );
      } else {
        const problem = job.cancelRequested
          ? cancelledProblem('The job was cancelled; the instance stopped before its handler did')
          : jobProblemOf(
              new JobInterruptedError(
                `The instance running this job stopped before it finished; kind ${job.kind} is not idempotent, so it was not run again`,
              ),
            );
        const state = job.cancelRequested ? 'cancelled' : 'failed';
        await this.update(job.id, (j) => ({ ...j, state, problem, finishedAt: Date.now() }), {
          state,
          attempts: job.attempts,
          problem,
        });
        this.logger.warn({ jobId: job.id, kind: job.kind }, `job interrupted by a restart; ${state}`);
      }
    }
  }

  private schedulePump(): void {
    if (this.pumpQueued || !this.accepting) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.serialized(() => this.pump()).catch((err: unknown) => this.logger.error({ err }, 'job scheduling failed'));
    });
  }

  /** Starts every job that may start now, and arms a timer for the next retry that comes due. */
  private async pump(): Promise<void> {
    if (!this.accepting || !this.log) return;
    const now = Date.now();
    let nextDue = Infinity;
    for (const kind of this.host!.kinds.list()) {
      if (this.paused.has(kind.name)) continue;
      while (this.accepting && (this.runningByKind.get(kind.name) ?? 0) < kind.concurrency) {
        const next = this.nextRunnable(kind.name, now);
        if (!next) break;
        await this.begin(next);
      }
      for (const id of this.active.get(kind.name) ?? []) {
        const job = this.jobs.get(id)!;
        if (job.state === 'queued' && (job.runAfter ?? 0) > now) nextDue = Math.min(nextDue, job.runAfter!);
      }
    }
    if (nextDue < this.wakeAt || this.wakeTimer === undefined) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = undefined;
      this.wakeAt = nextDue;
      if (nextDue !== Infinity) {
        this.wakeTimer = setTimeout(
          () => {
            this.wakeTimer = undefined;
            this.wakeAt = Infinity;
            this.schedulePump();
          },
          Math.max(0, nextDue - Date.now()),
        );
        this.wakeTimer.unref?.();
      }
    }
  }

  /** The queued job of `kind` due at `now` with the lowest (priority, createdAt). */
  private nextRunnable(kind: string, now: number): JobRecord | undefined {
    let best: JobRecord | undefined;
    for (const id of this.active.get(kind) ?? []) {
      const job = this.jobs.get(id)!;
      if (job.state !== 'queued' || (job.runAfter ?? 0) > now) continue;
      if (!best || job.priority < best.priority || (job.priority === best.priority && job.createdAt < best.createdAt)) {
        best = job;
      }
    }
    return best;
  }

  private async begin(job: JobRecord): Promise<void> {
    const kind = this.host!.kinds.get(job.kind)!;
    const now = Date.now();
    const attempt = job.attempts + 1;
    await this.update(
      job.id,
      (j) => ({ ...j, state: 'running', attempts: attempt, startedAt: now, runningOn: INSTANCE }),
      { state: 'running', attempts: attempt },
    );
    this.host!.onAttemptStarted(job.kind, Math.max(0, now - Math.max(job.createdAt, job.runAfter ?? 0)));
    this.runningByKind.set(job.kind, (this.runningByKind.get(job.kind) ?? 0) + 1);
    const running = new RunningAttempt({
      jobId: job.id,
      kind,
      payload: job.payload,
      caller: job.submittedBy,
      attempt,
      traceparent: job.traceparent,
      progress: (p) => this.reportProgress(job.id, p),
      runAs: (caller, fn) => this.host!.runAs(caller, fn),
      logFailure: (err) => this.logger.warn({ err, jobId: job.id, kind: job.kind }, 'job attempt failed'),
    });
    this.running.set(job.id, running);
    const recorded = running.result.then(async (r) => {
      this.running.delete(job.id);
      this.runningByKind.set(job.kind, (this.runningByKind.get(job.kind) ?? 1) - 1);
      try {
        await this.serialized(() => this.complete(job.id, kind.name, attempt, r, Date.now() - running.startedAt));
      } catch (err) {
        this.logger.error({ err, jobId: job.id }, 'could not record the end of a job attempt');
      }
      this.recording.delete(recorded);
      this.schedulePump();
    });
    this.recording.add(recorded);
  }

  private async complete(
    id: string,
    kindName: string,
    attempt: number,
    r: Awaited<RunningAttempt['result']>,
    runMs: number,
  ): Promise<void> {
    if (!this.log) return;
    const kind = this.host!.kinds.get(kindName)!;
    let outcome: AttemptOutcome;
    const now = Date.now();
    if (r.kind === 'succeeded') {
      outcome = 'succeeded';
      const result = jsonClone(r.result);
      await this.update(
        id,
        (j) => ({ ...j, state: 'succeeded', result, problem: undefined, finishedAt: now, runAfter: undefined }),
        { state: 'succeeded', attempts: attempt, result },
      );
    } else if (r.kind === 'cancelled') {
      outcome = 'cancelled';
      await this.update(id, (j) => ({ ...j, state: 'cancelled', problem: r.problem, finishedAt: now }), {
        state: 'cancelled',
        attempts: attempt,
        problem: r.problem,
      });
    } else if (r.kind === 'handed_back') {
      outcome = 'handed_back';
      await this.update(id, (j) => ({ ...j, state: 'queued', attempts: attempt - 1, startedAt: undefined }), {
        state: 'queued',
        attempts: attempt - 1,
      });
    } else {
      const job = this.jobs.get(id);
      const retry = kind.idempotent && attempt < kind.retry.attempts && !job?.cancelRequested;
      outcome = retry ? 'retrying' : r.timedOut ? 'timeout' : 'failed';
      if (retry) {
        const runAfter = now + retryDelayMs(kind.retry, attempt);
        await this.update(id, (j) => ({ ...j, state: 'queued', problem: r.problem, runAfter }), {
          state: 'queued',
          attempts: attempt,
          problem: r.problem,
          runAfter,
        });
      } else {
        await this.finishFailed(id, attempt, r.problem, now);
      }
    }
    this.host!.onAttemptEnded(kindName, outcome, runMs);
  }

  private async finishFailed(id: string, attempt: number, problem: JobProblem, now: number): Promise<void> {
    await this.update(id, (j) => ({ ...j, state: 'failed', problem, finishedAt: now, runAfter: undefined }), {
      state: 'failed',
      attempts: attempt,
      problem,
    });
  }

  /**
   * Progress is pushed to followers at once: it is recorded without an fsync (a crash may lose
   * the latest progress, never a state change; the next state change's fsync makes it durable
   * too) and, when no other change is in the queue, in the same tick as the report. Through the
   * queue and an fsync each, a handler's progress reached an SSE client tens of ms late on a busy
   * disk (docs/performance.md, "Progress latency").
   */
  private reportProgress(id: string, progress: JobProgress): void {
    if (!this.log) return;
    const clean = sanitizeProgress(progress);
    const record = (): void => {
      if (!this.log || !this.jobs.has(id)) return;
      const event = this.nextEvent(id, 'progress', clean, Date.now());
      const op: JobOperation = { op: 'progress', id, progress: clean, event };
      this.log.appendSync(op, { sync: false });
      this.apply(op);
      this.host!.onEvent(event);
    };
    const failed = (err: unknown) => this.logger.error({ err, jobId: id }, 'could not record job progress');
    if (this.queued === 0) {
      try {
        record();
      } catch (err) {
        failed(err);
      }
      return;
    }
    this.serialized(async () => record()).catch(failed);
  }

  /** Inside the queue: read-modify-write of one record, plus a `state` event when given. */
  private async update(
    id: string,
    change: (job: JobRecord) => JobRecord,
    state?: JobStateEventData,
  ): Promise<JobRecord> {
    const current = this.jobs.get(id);
    if (!current) throw new JobNotFoundError(`No job ${id}`);
    const now = Date.now();
    const { payload, ...job } = compact({ ...change(current), updatedAt: now });
    const event = state ? this.nextEvent(id, 'state', compact(state), now) : undefined;
    await this.commit({ op: 'update', job, event });
    if (event) this.host!.onEvent(event);
    return { ...job, payload };
  }

  /**
   * Inside the queue: logs the change (written and fsynced before it returns), then applies it in
   * memory. Synchronous on purpose, as better-sqlite3 was: an attempt that ends at once is
   * recorded `running` and then finished in the same tick, before the submission's answer is
   * even sent, so a kill -9 can hardly find it half-way (an async write per step would leave a
   * window of several event-loop turns in which a crash turns a finished job into an interrupted one).
   */
  private async commit(op: JobOperation): Promise<void> {
    const log = this.requireLog();
    log.appendSync(op);
    this.apply(op);
    if (log.pendingOps >= (this.options.snapshotEvery ?? 10_000)) await log.snapshot(this.entries());
  }

  /** Applies one logged change to memory; the same code serves live changes and replay at start. */
  private apply(op: JobOperation): void {
    switch (op.op) {
      case 'submit':
        this.putJob(op.job, [op.event]);
        break;
      case 'update': {
        const current = this.jobs.get(op.job.id);
        if (!current) return;
        this.setRecord({ ...op.job, payload: current.payload });
        if (op.event) this.jobEvents.get(op.job.id)!.push(op.event);
        break;
      }
      case 'progress': {
        const current = this.jobs.get(op.id);
        if (!current) return;
        this.jobs.set(op.id, { ...current, progress: op.progress });
        this.jobEvents.get(op.id)!.push(op.event);
        break;
      }
      case 'pause':
        if (op.paused) this.paused.add(op.kind);
        else this.paused.delete(op.kind);
        break;
      case 'purge': {
        const gone = new Set(op.ids);
        for (const id of op.ids) {
          const job = this.jobs.get(id);
          if (!job) continue;
          this.jobs.delete(id);
          this.jobEvents.delete(id);
          this.active.get(job.kind)?.delete(id);
          if (job.idempotencyKey !== undefined) {
            this.byIdempotencyKey.delete(idempotencyIndexKey(job.tenant, job.idempotencyKey));
          }
        }
        this.order = this.order.filter((id) => !gone.has(id));
        break;
      }
    }
  }

  private applyEntry(entry: JobSnapshotEntry): void {
    if ('paused' in entry) this.paused.add(entry.paused);
    else this.putJob(entry.job, entry.events);
  }

  private putJob(job: JobRecord, events: JobEvent[]): void {
    this.setRecord(job);
    this.jobEvents.set(job.id, events);
    if (job.idempotencyKey !== undefined) {
      this.byIdempotencyKey.set(idempotencyIndexKey(job.tenant, job.idempotencyKey), job.id);
    }
    // Jobs arrive in creation order almost always: insert from the end.
    let i = this.order.length;
    while (i > 0 && compareOrder(this.jobs.get(this.order[i - 1])!, job) > 0) i--;
    this.order.splice(i, 0, job.id);
  }

  private setRecord(job: JobRecord): void {
    this.jobs.set(job.id, job);
    let ids = this.active.get(job.kind);
    if (!ids) this.active.set(job.kind, (ids = new Set()));
    if (job.state === 'queued' || job.state === 'running') ids.add(job.id);
    else ids.delete(job.id);
  }

  private *entries(): Iterable<JobSnapshotEntry> {
    for (const kind of this.paused) yield { paused: kind };
    for (const id of this.order) yield { job: this.jobs.get(id)!, events: this.jobEvents.get(id)! };
  }

  private nextEvent(id: string, type: JobEvent['type'], data: JobEvent['data'], at: number): JobEvent {
    const events = this.jobEvents.get(id);
    const seq = (events?.[events.length - 1]?.seq ?? 0) + 1;
    return { jobId: id, seq, type, data, at };
  }

  /** Index in `order` of the newest job strictly older than (createdAt, id); -1 if none. */
  private indexBelow(createdAt: number, id: string): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const j = this.jobs.get(this.order[mid])!;
      if (j.createdAt < createdAt || (j.createdAt === createdAt && j.id < id)) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  private withPosition(job: JobRecord): JobRecord {
    if (job.state !== 'queued') return { ...job, position: undefined };
    let n = 0;
    for (const id of this.active.get(job.kind) ?? []) {
      const other = this.jobs.get(id)!;
      if (
        other.state === 'queued' &&
        (other.priority < job.priority || (other.priority === job.priority && other.createdAt < job.createdAt))
      ) {
        n++;
      }
    }
    return { ...job, position: n };
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.queue.then(fn, fn).finally(() => this.queued--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private clear(): void {
    this.jobs.clear();
    this.jobEvents.clear();
    this.byIdempotencyKey.clear();
    this.active.clear();
    this.order = [];
    this.paused.clear();
  }

  private requireLog(): DurableLog<JobOperation, JobSnapshotEntry> {
    if (!this.log) throw new Error('the embedded job backend is not started');
    return this.log;
  }
}

function idempotencyIndexKey(tenant: string, key: string): string {
  return `${tenant}\n${key}`;
}

/** Listing order: (createdAt, id) ascending. */
function compareOrder(a: JobRecord, b: JobRecord): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** What the record looks like after a trip through the log (as it will after a restart). */
function jsonClone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Drops keys set to undefined, as JSON would. */
function compact<T extends object>(value: T): T {
  const out = { ...value };
  for (const key of Object.keys(out) as (keyof T)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** Keeps only the documented fields, so a handler cannot put arbitrary objects on every event. */
export function sanitizeProgress(p: JobProgress): JobProgress {
  const out: JobProgress = { value: Number.isFinite(p.value) ? p.value : 0 };
  if (p.max !== undefined && Number.isFinite(p.max)) out.max = p.max;
  if (typeof p.stage === 'string') out.stage = p.stage.slice(0, 100);
  if (typeof p.message === 'string') out.message = p.message.slice(0, 1_000);
  if (typeof p.preview === 'string') out.preview = p.preview.slice(0, 256 * 1024);
  return out;
}
