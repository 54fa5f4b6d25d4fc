import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
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

interface JobRow {
  doc: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  tenant TEXT NOT NULL,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  run_after INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER,
  idempotency_key TEXT,
  seq INTEGER NOT NULL DEFAULT 0,
  doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs(tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(kind, state, priority, created_at);
CREATE INDEX IF NOT EXISTS jobs_listing ON jobs(created_at, id);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs(finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS job_events (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS paused_kinds (kind TEXT PRIMARY KEY);
`;

export interface EmbeddedJobBackendOptions {
  /** SQLite file; created with its directory if missing. */
  file: string;
}

/**
 * The default backend: job records and events in one SQLite file in DATA_DIR (better-sqlite3,
 * WAL journal), run by this process. A submission is committed before `submit` resolves, so an
 * acknowledged job survives `kill -9` (WAL with synchronous=NORMAL loses nothing on a process
 * crash; only an OS crash or power loss can take the last transactions). One process per file.
 */
export class EmbeddedJobBackend implements JobBackend {
  readonly name = 'embedded' as const;
  private readonly logger = new Logger('jobs');
  private db?: Database.Database;
  private host?: JobBackendHost;
  private readonly running = new Map<string, RunningAttempt>();
  private readonly runningByKind = new Map<string, number>();
  private paused = new Set<string>();
  private accepting = false;
  private pumpQueued = false;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;

  constructor(private readonly options: EmbeddedJobBackendOptions) {}

  async start(host: JobBackendHost): Promise<void> {
    this.host = host;
    mkdirSync(dirname(this.options.file), { recursive: true });
    const db = new Database(this.options.file);
    // One process per file: a second instance on the same DATA_DIR fails at start (SQLITE_BUSY)
    // instead of re-queueing the first one's running jobs as "interrupted".
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    this.paused = new Set(
      db
        .prepare<[], { kind: string }>('SELECT kind FROM paused_kinds')
        .all()
        .map((r) => r.kind),
    );
    this.recoverInterrupted();
    this.accepting = true;
    this.schedulePump();
    return Promise.resolve();
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
    // Hand-backs settle synchronously; let their completion handlers write the records.
    await Promise.allSettled([...this.running.values()].map((a) => a.result));
    await new Promise((resolve) => setImmediate(resolve));
    this.db?.close();
    this.db = undefined;
  }

  submit(s: JobSubmission): Promise<{ job: JobRecord; created: boolean }> {
    const db = this.requireDb();
    const kind = this.host!.kinds.get(s.kind);
    const now = Date.now();
    const result = db.transaction(() => {
      if (s.idempotencyKey !== undefined) {
        const existing = db
          .prepare<[string, string], JobRow>('SELECT doc FROM jobs WHERE tenant = ? AND idempotency_key = ?')
          .get(s.caller.tenant, s.idempotencyKey);
        if (existing) return { job: JSON.parse(existing.doc) as JobRecord, created: false };
      }
      const job: JobRecord = {
        id: randomUUID(),
        kind: s.kind,
        tenant: s.caller.tenant,
        submittedBy: { id: s.caller.id, kind: s.caller.kind, roles: s.caller.roles, tenant: s.caller.tenant },
        state: 'queued',
        payload: s.payload ?? null,
        priority: s.priority ?? kind?.priority ?? 100,
        attempts: 0,
        maxAttempts: kind?.retry.attempts ?? 1,
        idempotencyKey: s.idempotencyKey,
        createdAt: now,
        updatedAt: now,
      };
      db.prepare(
        `INSERT INTO jobs (id, kind, tenant, state, priority, created_at, run_after, idempotency_key, seq, doc)
         VALUES (?, ?, ?, 'queued', ?, ?, 0, ?, 0, ?)`,
      ).run(job.id, job.kind, job.tenant, job.priority, job.createdAt, job.idempotencyKey ?? null, JSON.stringify(job));
      const ev = this.appendEvent(job.id, 'state', { state: 'queued', attempts: 0 });
      return { job, created: true, ev };
    })();
    if ('ev' in result && result.ev) this.host!.onEvent(result.ev);
    if (result.created) this.schedulePump();
    return Promise.resolve({ job: this.withPosition(result.job), created: result.created });
  }

  get(id: string): Promise<JobRecord | undefined> {
    const job = this.read(id);
    return Promise.resolve(job && this.withPosition(job));
  }

  list(q: JobListQuery): Promise<JobPage> {
    const db = this.requireDb();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (q.tenant !== undefined) {
      where.push('tenant = ?');
      args.push(q.tenant);
    }
    if (q.kind !== undefined) {
      where.push('kind = ?');
      args.push(q.kind);
    }
    if (q.state !== undefined) {
      where.push('state = ?');
      args.push(q.state);
    }
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (cursor) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      args.push(cursor.createdAt, cursor.createdAt, cursor.id);
    }
    const sql = `SELECT doc FROM jobs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = db.prepare<(string | number)[], JobRow>(sql).all(...args, q.limit + 1);
    const items = rows.slice(0, q.limit).map((r) => this.withPosition(JSON.parse(r.doc) as JobRecord));
    const last = items[items.length - 1];
    return Promise.resolve({
      items,
      nextCursor: rows.length > q.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : undefined,
    });
  }

  cancel(id: string): Promise<JobRecord> {
    const job = this.read(id);
    if (!job) return Promise.reject(new JobNotFoundError(`No job ${id}`));
    if (isTerminal(job.state)) {
      return Promise.reject(new JobStateConflictError(`Job ${id} is already ${job.state}`));
    }
    if (job.state === 'queued') {
      const problem = cancelledProblem('The job was cancelled before it started');
      const done = this.update(id, (j) => ({ ...j, state: 'cancelled', problem, finishedAt: Date.now() }), {
        state: 'cancelled',
        attempts: job.attempts,
        problem,
      });
      this.host!.onAttemptEnded(job.kind, 'cancelled', 0);
      return Promise.resolve(done);
    }
    const attempt = this.running.get(id);
    attempt?.cancel();
    const updated = this.update(id, (j) => ({ ...j, cancelRequested: true }));
    return Promise.resolve(this.withPosition(updated));
  }

  retry(id: string): Promise<JobRecord> {
    const job = this.read(id);
    if (!job) return Promise.reject(new JobNotFoundError(`No job ${id}`));
    if (job.state !== 'failed' && job.state !== 'cancelled') {
      return Promise.reject(
        new JobStateConflictError(`Only failed or cancelled jobs can be retried; job ${id} is ${job.state}`),
      );
    }
    const updated = this.update(
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
    return Promise.resolve(this.withPosition(updated));
  }

  setPaused(kind: string, paused: boolean): Promise<void> {
    const db = this.requireDb();
    if (paused) db.prepare('INSERT OR IGNORE INTO paused_kinds (kind) VALUES (?)').run(kind);
    else db.prepare('DELETE FROM paused_kinds WHERE kind = ?').run(kind);
    if (paused) this.paused.add(kind);
    else this.paused.delete(kind);
    if (!paused) this.schedulePump();
    return Promise.resolve();
  }

  pausedKinds(): Promise<string[]> {
    return Promise.resolve([...this.paused].sort());
  }

  events(id: string, afterSeq: number): Promise<JobEvent[]> {
    const rows = this.requireDb()
      .prepare<[string, number], { seq: number; type: JobEvent['type']; data: string; at: number }>(
        'SELECT seq, type, data, at FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq',
      )
      .all(id, afterSeq);
    return Promise.resolve(
      rows.map((r) => ({
        jobId: id,
        seq: r.seq,
        type: r.type,
        data: JSON.parse(r.data) as JobEvent['data'],
        at: r.at,
      })),
    );
  }

  stats(): Promise<JobKindStats[]> {
    const now = Date.now();
    const rows = this.requireDb()
      .prepare<[number], { kind: string; state: string; n: number; oldest: number | null }>(
        `SELECT kind, state, COUNT(*) AS n,
                MIN(CASE WHEN state = 'queued' AND run_after <= ? THEN created_at END) AS oldest
         FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind, state`,
      )
      .all(now);
    const byKind = new Map<string, JobKindStats>();
    for (const k of this.host?.kinds.list() ?? []) byKind.set(k.name, { kind: k.name, queued: 0, running: 0 });
    for (const r of rows) {
      const s = byKind.get(r.kind) ?? { kind: r.kind, queued: 0, running: 0 };
      if (r.state === 'queued') {
        s.queued = r.n;
        if (r.oldest !== null) s.oldestQueuedAt = r.oldest;
      } else s.running = r.n;
      byKind.set(r.kind, s);
    }
    return Promise.resolve([...byKind.values()]);
  }

  purgeFinished(before: number): Promise<number> {
    const db = this.requireDb();
    const n = db.transaction(() => {
      db.prepare(
        'DELETE FROM job_events WHERE job_id IN (SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?)',
      ).run(before);
      return db.prepare('DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?').run(before).changes;
    })();
    return Promise.resolve(n);
  }

  /** Jobs a crash left `running`: re-queued when their kind is idempotent, else failed (JOBS.INTERRUPTED). */
  private recoverInterrupted(): void {
    const db = this.requireDb();
    const rows = db.prepare<[], JobRow>("SELECT doc FROM jobs WHERE state = 'running'").all();
    for (const row of rows) {
      const job = JSON.parse(row.doc) as JobRecord;
      const kind = this.host!.kinds.get(job.kind);
      if (kind?.idempotent && !job.cancelRequested) {
        this.update(job.id, (j) => ({ ...j, state: 'queued', startedAt: undefined, runAfter: undefined }), {
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
        this.update(job.id, (j) => ({ ...j, state, problem, finishedAt: Date.now() }), {
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
      try {
        this.pump();
      } catch (err) {
        this.logger.error({ err }, 'job scheduling failed');
      }
    });
  }

  /** Starts every job that may start now, and arms a timer for the next retry that comes due. */
  private pump(): void {
    if (!this.accepting || !this.db) return;
    const db = this.db;
    const now = Date.now();
    let nextDue = Infinity;
    for (const kind of this.host!.kinds.list()) {
      if (this.paused.has(kind.name)) continue;
      while ((this.runningByKind.get(kind.name) ?? 0) < kind.concurrency) {
        const row = db
          .prepare<[string, number], JobRow>(
            `SELECT doc FROM jobs WHERE kind = ? AND state = 'queued' AND run_after <= ?
             ORDER BY priority, created_at LIMIT 1`,
          )
          .get(kind.name, now);
        if (!row) break;
        this.begin(JSON.parse(row.doc) as JobRecord);
      }
      const due = db
        .prepare<[string, number], { t: number | null }>(
          "SELECT MIN(run_after) AS t FROM jobs WHERE kind = ? AND state = 'queued' AND run_after > ?",
        )
        .get(kind.name, now);
      if (due?.t != null) nextDue = Math.min(nextDue, due.t);
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

  private begin(job: JobRecord): void {
    const kind = this.host!.kinds.get(job.kind)!;
    const now = Date.now();
    const attempt = job.attempts + 1;
    this.update(job.id, (j) => ({ ...j, state: 'running', attempts: attempt, startedAt: now, runningOn: INSTANCE }), {
      state: 'running',
      attempts: attempt,
    });
    this.host!.onAttemptStarted(job.kind, Math.max(0, now - Math.max(job.createdAt, job.runAfter ?? 0)));
    this.runningByKind.set(job.kind, (this.runningByKind.get(job.kind) ?? 0) + 1);
    const running = new RunningAttempt({
      jobId: job.id,
      kind,
      payload: job.payload,
      caller: job.submittedBy,
      attempt,
      progress: (p) => this.reportProgress(job.id, p),
      runAs: (caller, fn) => this.host!.runAs(caller, fn),
      logFailure: (err) => this.logger.warn({ err, jobId: job.id, kind: job.kind }, 'job attempt failed'),
    });
    this.running.set(job.id, running);
    void running.result.then((r) => {
      this.running.delete(job.id);
      this.runningByKind.set(job.kind, (this.runningByKind.get(job.kind) ?? 1) - 1);
      try {
        this.complete(job.id, kind.name, attempt, r, Date.now() - running.startedAt);
      } catch (err) {
        this.logger.error({ err, jobId: job.id }, 'could not record the end of a job attempt');
      }
      this.schedulePump();
    });
  }

  private complete(
    id: string,
    kindName: string,
    attempt: number,
    r: Awaited<RunningAttempt['result']>,
    runMs: number,
  ): void {
    if (!this.db) return;
    const kind = this.host!.kinds.get(kindName)!;
    let outcome: AttemptOutcome;
    const now = Date.now();
    if (r.kind === 'succeeded') {
      outcome = 'succeeded';
      this.update(
        id,
        (j) => ({
          ...j,
          state: 'succeeded',
          result: r.result,
          problem: undefined,
          finishedAt: now,
          runAfter: undefined,
        }),
        { state: 'succeeded', attempts: attempt, result: r.result },
      );
    } else if (r.kind === 'cancelled') {
      outcome = 'cancelled';
      this.update(id, (j) => ({ ...j, state: 'cancelled', problem: r.problem, finishedAt: now }), {
        state: 'cancelled',
        attempts: attempt,
        problem: r.problem,
      });
    } else if (r.kind === 'handed_back') {
      outcome = 'handed_back';
      this.update(id, (j) => ({ ...j, state: 'queued', attempts: attempt - 1, startedAt: undefined }), {
        state: 'queued',
        attempts: attempt - 1,
      });
    } else {
      const job = this.read(id);
      const retry = kind.idempotent && attempt < kind.retry.attempts && !job?.cancelRequested;
      outcome = retry ? 'retrying' : r.timedOut ? 'timeout' : 'failed';
      if (retry) {
        const runAfter = now + retryDelayMs(kind.retry, attempt);
        this.update(id, (j) => ({ ...j, state: 'queued', problem: r.problem, runAfter }), {
          state: 'queued',
          attempts: attempt,
          problem: r.problem,
          runAfter,
        });
      } else {
        this.finishFailed(id, attempt, r.problem, now);
      }
    }
    this.host!.onAttemptEnded(kindName, outcome, runMs);
  }

  private finishFailed(id: string, attempt: number, problem: JobProblem, now: number): void {
    this.update(id, (j) => ({ ...j, state: 'failed', problem, finishedAt: now, runAfter: undefined }), {
      state: 'failed',
      attempts: attempt,
      problem,
    });
  }

  private reportProgress(id: string, progress: JobProgress): void {
    if (!this.db) return;
    const clean = sanitizeProgress(progress);
    const ev = this.db.transaction(() => {
      this.db!.prepare('UPDATE jobs SET doc = json_set(doc, ?, json(?)) WHERE id = ?').run(
        '$.progress',
        JSON.stringify(clean),
        id,
      );
      return this.appendEvent(id, 'progress', clean);
    })();
    this.host!.onEvent(ev);
  }

  /** Read-modify-write of one record in a transaction, plus a `state` event when given. */
  private update(id: string, change: (job: JobRecord) => JobRecord, state?: JobStateEventData): JobRecord {
    const db = this.requireDb();
    const out = db.transaction(() => {
      const row = db.prepare<[string], JobRow>('SELECT doc FROM jobs WHERE id = ?').get(id);
      if (!row) throw new JobNotFoundError(`No job ${id}`);
      const next = { ...change(JSON.parse(row.doc) as JobRecord), updatedAt: Date.now() };
      db.prepare('UPDATE jobs SET state = ?, priority = ?, run_after = ?, finished_at = ?, doc = ? WHERE id = ?').run(
        next.state,
        next.priority,
        next.runAfter ?? 0,
        next.finishedAt ?? null,
        JSON.stringify(next),
        id,
      );
      const ev = state ? this.appendEvent(id, 'state', state) : undefined;
      return { next, ev };
    })();
    if (out.ev) this.host!.onEvent(out.ev);
    return out.next;
  }

  /** Inside a transaction: the job's next event. */
  private appendEvent(id: string, type: JobEvent['type'], data: JobEvent['data']): JobEvent {
    const db = this.requireDb();
    const { seq } = db
      .prepare<[string], { seq: number }>('UPDATE jobs SET seq = seq + 1 WHERE id = ? RETURNING seq')
      .get(id)!;
    const at = Date.now();
    db.prepare('INSERT INTO job_events (job_id, seq, type, data, at) VALUES (?, ?, ?, ?, ?)').run(
      id,
      seq,
      type,
      JSON.stringify(data),
      at,
    );
    return { jobId: id, seq, type, data, at };
  }

  private read(id: string): JobRecord | undefined {
    const row = this.requireDb().prepare<[string], JobRow>('SELECT doc FROM jobs WHERE id = ?').get(id);
    return row ? (JSON.parse(row.doc) as JobRecord) : undefined;
  }

  private withPosition(job: JobRecord): JobRecord {
    if (job.state !== 'queued') return { ...job, position: undefined };
    const { n } = this.requireDb()
      .prepare<[string, number, number, number], { n: number }>(
        `SELECT COUNT(*) AS n FROM jobs WHERE kind = ? AND state = 'queued'
         AND (priority < ? OR (priority = ? AND created_at < ?))`,
      )
      .get(job.kind, job.priority, job.priority, job.createdAt)!;
    return { ...job, position: n };
  }

  private requireDb(): Database.Database {
    if (!this.db) throw new Error('the embedded job backend is not started');
    return this.db;
  }
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
