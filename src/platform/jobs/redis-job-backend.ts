import { Logger } from '@nestjs/common';
import { Queue, Worker, type Job as BullJob } from 'bullmq';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { cancelledProblem, RunningAttempt, type AttemptResult } from './job-attempt';
import type {
  AttemptOutcome,
  JobBackend,
  JobBackendHost,
  JobEventRoute,
  JobKindStats,
  JobListQuery,
  JobPage,
  JobSubmission,
  JobWatch,
} from './job-backend';
import { decodeCursor, encodeCursor } from './job-cursor';
import { retryDelayMs } from './job-kind-registry';
import { jobProblemOf } from './job-problem';
import { sanitizeProgress } from './embedded-job-backend';
import {
  isTerminal,
  type JobEvent,
  type JobKindDefinition,
  type JobProgress,
  type JobRecord,
  type JobState,
  type JobStateEventData,
} from './job.types';
import { JobInterruptedError, JobNotFoundError, JobStateConflictError } from './jobs.errors';

export interface RedisJobBackendOptions {
  url: string;
  /** Prefix of every key and channel (STATE_KEY_PREFIX). */
  keyPrefix: string;
  /** Lock of a running job; a dead instance's job is re-run after about this long. Default 30 s. */
  lockMs?: number;
}

/**
 * Applies field updates to a record hash only when its state is one of ARGV[1] (comma list of
 * JSON-encoded states; empty: any). Field values are JSON; an empty value deletes the field.
 */
const TRANSITION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if ARGV[1] ~= '' then
  local s = redis.call('HGET', KEYS[1], 'state')
  local ok = false
  for want in string.gmatch(ARGV[1], '[^,]+') do if want == s then ok = true end end
  if not ok then return 0 end
end
for i = 2, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1
`;

/**
 * One state change in one round trip: the conditional field update of TRANSITION, then (if it
 * applied and ARGV[2] is an event body) the event append and its publish (on the job's channel and
 * its tenant's: see watch()), and the retention mark. KEYS: record, event list, finished zset.
 * ARGV: from states, event body ('' none), channel prefix, origin, finishedAt ('' none), then
 * field/value pairs. Returns { applied, seq, cancelRequested }.
 */
const STEP = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0, ''} end
if ARGV[1] ~= '' then
  local s = redis.call('HGET', KEYS[1], 'state')
  local ok = false
  for want in string.gmatch(ARGV[1], '[^,]+') do if want == s then ok = true end end
  if not ok then return {0, 0, ''} end
end
for i = 6, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
local seq = 0
if ARGV[2] ~= '' then
  seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
  redis.call('RPUSH', KEYS[2], seq .. ' ' .. ARGV[2])
  local msg = '{"o":"' .. ARGV[4] .. '","s":' .. seq .. ',"e":' .. ARGV[2] .. '}'
  redis.call('PUBLISH', ARGV[3] .. 'job:' .. (redis.call('HGET', KEYS[1], 'id') or ''), msg)
  local tenant = redis.call('HGET', KEYS[1], 'tenant')
  if tenant then redis.call('PUBLISH', ARGV[3] .. 't:' .. tenant, msg) end
end
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[3], ARGV[5], redis.call('HGET', KEYS[1], 'id') or '') end
return {1, seq, redis.call('HGET', KEYS[1], 'cancelRequested') or ''}
`;

/**
 * The start of an attempt in one round trip: reads what the attempt needs of the record and,
 * unless it ended (or it was left `running` by a dead instance and its kind is not idempotent),
 * marks it running with the next attempt, appends and publishes the `running` event. KEYS:
 * record, event list. ARGV: origin, channel prefix, runningOn (JSON), now, idempotent ('1' or
 * '0'). Returns { code, seq, attempt, [base, payload, state, attempts, priority, runAfter,
 * cancelRequested] as they were ('' for absent) }: code -1 no record, 0 ended, 2 left running
 * and not idempotent (nothing changed), 1 started.
 */
const START = `
local f = redis.call('HMGET', KEYS[1], 'base', 'payload', 'state', 'attempts', 'priority', 'runAfter', 'cancelRequested', 'id', 'tenant')
if not f[1] then return {-1, 0, 0, {}} end
local state = f[3]
if state == '"succeeded"' or state == '"failed"' or state == '"cancelled"' then return {0, 0, 0, {}} end
local rec = {}
for i = 1, 7 do rec[i] = f[i] or '' end
if state == '"running"' and ARGV[5] ~= '1' then return {2, 0, 0, rec} end
local attempt = tonumber(f[4] or '0') + 1
redis.call('HSET', KEYS[1], 'state', '"running"', 'attempts', attempt, 'startedAt', ARGV[4], 'runningOn', ARGV[3], 'updatedAt', ARGV[4])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local id = f[8] or ''
local body = '{"jobId":"' .. id .. '","type":"state","data":{"state":"running","attempts":' .. attempt .. '},"at":' .. ARGV[4] .. '}'
redis.call('RPUSH', KEYS[2], seq .. ' ' .. body)
local msg = '{"o":"' .. ARGV[1] .. '","s":' .. seq .. ',"e":' .. body .. '}'
redis.call('PUBLISH', ARGV[2] .. 'job:' .. id, msg)
if f[9] then redis.call('PUBLISH', ARGV[2] .. 't:' .. f[9], msg) end
return {1, seq, attempt, rec}
`;

/**
 * A new record with its first event (seq 1), in one script call (a MULTI costs a pipeline object
 * and seven commands on the client). The event is published on the tenant's channel only: nobody
 * can watch the job's own channel before it has an id. KEYS: record, event list, index of all
 * jobs, index of the tenant's, the idempotency key's claim ('' none: made permanent). ARGV:
 * channel prefix, origin, event, createdAt, id, tenant, then the record's field/value pairs.
 */
const SUBMIT = `
if KEYS[5] ~= '' then redis.call('PERSIST', KEYS[5]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('RPUSH', KEYS[2], '1 ' .. ARGV[3])
redis.call('PUBLISH', ARGV[1] .. 't:' .. ARGV[6], '{"o":"' .. ARGV[2] .. '","s":1,"e":' .. ARGV[3] .. '}')
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
return 1
`;

/**
 * How long an idempotency key stays claimed by a submission that has not written its record yet
 * (a submitter that dies in between frees the key after this long).
 */
const IDEMPOTENCY_CLAIM_MS = 10_000;

/** Claims an idempotency key (KEYS[1]) for ARGV[2] for ARGV[3] ms if it still names ARGV[1]. */
const IDEM_TAKE_OVER = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`;

type Fields = Partial<Record<keyof JobRecord | 'bullId', unknown>>;

/** Mutable record fields, each stored as its own hash field (JSON) so instances never overwrite each other's. */
const MUTABLE: (keyof JobRecord)[] = [
  'state',
  'priority',
  'attempts',
  'progress',
  'result',
  'problem',
  'cancelRequested',
  'runningOn',
  'updatedAt',
  'startedAt',
  'finishedAt',
  'runAfter',
];

/** A published event: origin instance, seq, and the event without seq. */
interface WireEvent {
  o: string;
  s: number;
  e: Omit<JobEvent, 'seq'>;
}

/**
 * The cluster backend: BullMQ queues (one per kind, on REDIS_URL) dispatch jobs to any instance
 * with per-instance and cluster-wide concurrency, priorities and delayed retries; the job record
 * and its events live in Redis hashes/lists beside them (the API's source of truth, including
 * `cancelled`, which BullMQ has no state for). Cancels reach every instance over pub/sub; events
 * are published on the job's channel and its tenant's, and reach only the instances that watch
 * them (a follower of the job, a WebSocket client of the tenant's jobs or of all): an instance
 * does not receive, let alone parse, the events of every job in the cluster.
 * A job whose instance died is found stalled by BullMQ and handed to another instance, which runs
 * it again if its kind is idempotent, else fails it with JOBS.INTERRUPTED.
 */
export class RedisJobBackend implements JobBackend {
  readonly name = 'redis' as const;
  private readonly logger = new Logger('jobs');
  private readonly origin = randomUUID();
  /** How every message this instance publishes begins (see receive()). */
  private readonly ownPrefix = `{"o":"${this.origin}"`;
  private readonly instance = `${hostname()}:${process.pid}:${this.origin.slice(0, 8)}`;
  private redis?: Redis;
  private subscriber?: Redis;
  private host?: JobBackendHost;
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly running = new Map<string, RunningAttempt>();
  /** Channels (and the all-tenants pattern) this instance watches, with their watch counts. */
  private readonly watched = new Map<string, { count: number; ready: Promise<unknown> }>();
  /** End-of-attempt writes in flight (see process()). */
  private readonly recording = new Set<Promise<void>>();
  private readonly p: string;

  constructor(private readonly options: RedisJobBackendOptions) {
    this.p = `${options.keyPrefix}jobs:`;
  }

  private readonly connections: Redis[] = [];

  /**
   * A new connection; BullMQ does not close connections it was given, so stop() does. Workers
   * block on Redis and need `maxRetriesPerRequest: null`; the rest fail fast while Redis is away.
   */
  private connection(blocking = false): Redis {
    const c = new Redis(
      this.options.url,
      blocking
        ? { maxRetriesPerRequest: null }
        : { maxRetriesPerRequest: 1, commandTimeout: 5_000, enableAutoPipelining: true },
    );
    c.on('error', (err) => this.logger.debug?.({ err }, 'jobs Redis connection error'));
    this.connections.push(c);
    return c;
  }

  /** Defines our scripts on a connection. */
  private scripted(c: Redis): Redis {
    c.defineCommand('jobTransition', { numberOfKeys: 1, lua: TRANSITION });
    c.defineCommand('jobStep', { numberOfKeys: 3, lua: STEP });
    c.defineCommand('jobStart', { numberOfKeys: 2, lua: START });
    c.defineCommand('jobSubmit', { numberOfKeys: 5, lua: SUBMIT });
    c.defineCommand('jobIdemTakeOver', { numberOfKeys: 1, lua: IDEM_TAKE_OVER });
    return c;
  }

  /** False while the command connection to Redis is down. */
  available(): boolean {
    return this.redis?.status === 'ready';
  }

  async start(host: JobBackendHost): Promise<void> {
    this.host = host;
    this.redis = this.scripted(this.connection());
    this.subscriber = this.connection(true);
    // Not awaited: with Redis away at boot the instance still starts; ioredis subscribes once connected.
    this.subscriber
      .subscribe(this.channel('cancel'))
      .catch((err: unknown) => this.logger.warn({ err }, 'could not subscribe to job cancels'));
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message, false));
    this.subscriber.on('pmessage', (_p: string, channel: string, message: string) =>
      this.receive(channel, message, true),
    );
    for (const kind of host.kinds.list()) {
      const queue = this.queue(kind.name);
      if (kind.clusterConcurrency !== undefined) {
        queue
          .setGlobalConcurrency(kind.clusterConcurrency)
          .catch((err: unknown) => this.logger.warn({ err, kind: kind.name }, 'could not set cluster concurrency'));
      }
      // The worker's own connection (BullMQ completes jobs on it) also carries our end-of-attempt writes.
      const connection = this.scripted(this.connection(true));
      const worker = new Worker(
        kind.name,
        (job: BullJob<{ id: string }>) => this.process(kind, job.data.id, connection),
        {
          connection,
          prefix: this.bullPrefix,
          concurrency: kind.concurrency,
          // A dead instance's job comes back after the lock expires; several stalls in a row are
          // still runs of ours to judge (idempotent or not), not BullMQ failures.
          maxStalledCount: 1_000,
          lockDuration: this.options.lockMs ?? 30_000,
          stalledInterval: this.options.lockMs ?? 30_000,
        },
      );
      worker.on('error', (err) => this.logger.warn({ err, kind: kind.name }, 'job worker error'));
      worker.on('failed', (job, err) => this.logger.error({ err, jobId: job?.data.id }, 'job processor failed'));
      this.workers.push(worker);
    }
  }

  async stop(drainMs: number): Promise<void> {
    // Stop fetching new jobs; running ones continue.
    await Promise.all(this.workers.map((w) => w.pause(true).catch(() => undefined))).catch(() => undefined);
    void Promise.all(this.workers.map((w) => w.pause(false)));
    const pending = [...this.running.values()].map((a) => a.result);
    if (pending.length > 0 && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled(pending), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
      clearTimeout(timer);
    }
    for (const attempt of this.running.values()) attempt.handBack();
    await Promise.allSettled([...this.running.values()].map((a) => a.result));
    // Let the processors record the hand-backs (and any attempt that just ended) before the connections close.
    await new Promise((r) => setImmediate(r));
    await Promise.allSettled([...this.recording]);
    await Promise.all(this.workers.map((w) => w.close(true).catch(() => undefined)));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    for (const c of this.connections.splice(0)) c.disconnect();
    this.queues.clear();
    this.workers.length = 0;
    this.watched.clear();
    this.redis = undefined;
    this.subscriber = undefined;
  }

  /**
   * Subscribes to the scope's channel (the all-tenants pattern for admins) while any follower on
   * this instance watches it; counted, so the last unwatch unsubscribes. Redis runs one
   * connection's commands in order, so an unsubscribe followed by a new subscribe ends subscribed.
   */
  async watch(scope: JobWatch): Promise<() => void> {
    const sub = this.subscriber;
    if (!sub) return () => undefined;
    const pattern = 'allTenants' in scope;
    const channel =
      'job' in scope
        ? this.channel(`job:${scope.job}`)
        : 'tenant' in scope
          ? this.channel(`t:${scope.tenant}`)
          : this.channel('t:').replace(/[*?[\]\\]/g, '\\$&') + '*';
    let w = this.watched.get(channel);
    if (!w) {
      w = { count: 0, ready: pattern ? sub.psubscribe(channel) : sub.subscribe(channel) };
      this.watched.set(channel, w);
    }
    const entry = w;
    entry.count++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--entry.count > 0 || this.watched.get(channel) !== entry) return;
      this.watched.delete(channel);
      void (pattern ? sub.punsubscribe(channel) : sub.unsubscribe(channel)).catch(() => undefined);
    };
    try {
      await entry.ready;
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }

  async submit(s: JobSubmission): Promise<{ job: JobRecord; created: boolean }> {
    const redis = this.r();
    const kind = this.host!.kinds.get(s.kind);
    const id = randomUUID();
    const idemKey = s.idempotencyKey === undefined ? '' : this.key(`idem:${s.caller.tenant}:${s.idempotencyKey}`);
    if (idemKey !== '') {
      const existing = await this.claimIdempotencyKey(idemKey, id);
      if (existing) return { job: existing, created: false };
    }
    const now = Date.now();
    const job: JobRecord = {
      id,
      kind: s.kind,
      tenant: s.caller.tenant,
      submittedBy: { id: s.caller.id, kind: s.caller.kind, roles: s.caller.roles, tenant: s.caller.tenant },
      state: 'queued',
      payload: s.payload ?? null,
      priority: s.priority ?? kind?.priority ?? 100,
      attempts: 0,
      maxAttempts: kind?.retry.attempts ?? 1,
      idempotencyKey: s.idempotencyKey,
      traceparent: s.traceparent,
      createdAt: now,
      updatedAt: now,
    };
    const queued: JobStateEventData = { state: 'queued', attempts: 0 };
    const base = {
      id,
      kind: job.kind,
      tenant: job.tenant,
      submittedBy: job.submittedBy,
      maxAttempts: job.maxAttempts,
      idempotencyKey: job.idempotencyKey,
      traceparent: job.traceparent,
      createdAt: now,
    };
    // The record and the BullMQ job in one round trip: the queue sends its commands on this same
    // connection (see queue()), and Redis runs a connection's commands in the order they were
    // sent, so a worker never finds the job before its record.
    const event = JSON.stringify({ jobId: id, type: 'state', data: queued, at: now });
    const written = (redis as RedisWithScripts).jobSubmit(
      this.recordKey(id),
      this.key(`ev:${id}`),
      this.key('idx:all'),
      this.key(`idx:t:${job.tenant}`),
      idemKey,
      this.channel(''),
      this.origin,
      event,
      String(now),
      id,
      job.tenant,
      'tenant',
      job.tenant,
      'base',
      JSON.stringify(base),
      'payload',
      JSON.stringify(job.payload),
      'id',
      id,
      'bullId',
      JSON.stringify(id),
      // The first event (seq 1) is written with the record.
      'seq',
      '1',
      ...this.flatten(job),
    );
    await Promise.all([written, this.enqueue(job, 0)]);
    this.host!.onEvent({ jobId: id, seq: 1, type: 'state', data: queued, at: now });
    // Position is computed on read (GET /jobs/{id}); it costs a scan of the queue.
    return { job, created: true };
  }

  /**
   * Claims an idempotency key for job `id`, or answers the job that already holds it. The claim
   * expires unless SUBMIT makes it permanent with the record, so a key whose submitter died in
   * between is free again; a key claimed but not yet backed by a record is another submission in
   * flight (on this instance or another one): wait for its record rather than start a duplicate.
   */
  private async claimIdempotencyKey(idemKey: string, id: string): Promise<JobRecord | undefined> {
    const redis = this.r() as RedisWithScripts;
    const deadline = Date.now() + IDEMPOTENCY_CLAIM_MS + 1_000;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      if ((await redis.set(idemKey, id, 'PX', IDEMPOTENCY_CLAIM_MS, 'NX')) !== null) return undefined;
      const existingId = await redis.get(idemKey);
      const existing = existingId ? await this.get(existingId) : undefined;
      if (existing) return existing;
      // Longer than any claim lasts: the key names a job that is gone (evicted); take it over.
      if (
        existingId &&
        Date.now() > deadline &&
        (await redis.jobIdemTakeOver(idemKey, existingId, id, IDEMPOTENCY_CLAIM_MS)) === 1
      )
        return undefined;
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const job = await this.read(id);
    return job && this.withPosition(job);
  }

  async list(q: JobListQuery): Promise<JobPage> {
    const redis = this.r();
    const index = this.key(q.tenant === undefined ? 'idx:all' : `idx:t:${q.tenant}`);
    const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const items: JobRecord[] = [];
    let max = cursor ? String(cursor.createdAt) : '+inf';
    let offset = 0;
    const batch = 200;
    let more = false;
    // Newest first by score (createdAt), ties by id descending; filters applied on the records.
    outer: for (;;) {
      const ids = await redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', offset, batch);
      if (ids.length === 0) break;
      const pairs: { id: string; at: number }[] = [];
      for (let i = 0; i < ids.length; i += 2) pairs.push({ id: ids[i], at: Number(ids[i + 1]) });
      pairs.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1));
      const records = await Promise.all(pairs.map((p) => this.read(p.id)));
      for (const job of records) {
        if (!job) continue;
        if (cursor && !(job.createdAt < cursor.createdAt || (job.createdAt === cursor.createdAt && job.id < cursor.id)))
          continue;
        if ((q.kind !== undefined && job.kind !== q.kind) || (q.state !== undefined && job.state !== q.state)) continue;
        if (items.length === q.limit) {
          more = true;
          break outer;
        }
        items.push(job);
      }
      if (ids.length / 2 < batch) break;
      offset += batch;
      max = cursor ? String(cursor.createdAt) : '+inf';
    }
    const last = items[items.length - 1];
    return {
      items: items.map((j) => this.strip(j)),
      nextCursor: more && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : undefined,
    };
  }

  async cancel(id: string): Promise<JobRecord> {
    const job = await this.read(id);
    if (!job) throw new JobNotFoundError(`No job ${id}`);
    if (isTerminal(job.state)) throw new JobStateConflictError(`Job ${id} is already ${job.state}`);
    const problem = cancelledProblem('The job was cancelled before it started');
    const now = Date.now();
    if (await this.transition(id, ['queued'], { state: 'cancelled', problem, finishedAt: now, updatedAt: now })) {
      await this.afterFinish(id, now);
      await this.appendEvent(id, 'state', { state: 'cancelled', attempts: job.attempts, problem });
      // Best effort: a job already taken by a worker sees the record and skips it.
      await this.queue(job.kind)
        .remove(this.bullId(job))
        .catch(() => 0);
      this.host!.onAttemptEnded(job.kind, 'cancelled', 0);
      return (await this.read(id))!;
    }
    if (await this.transition(id, ['running'], { cancelRequested: true, updatedAt: now })) {
      this.running.get(id)?.cancel();
      await this.r().publish(this.channel('cancel'), id);
    }
    return (await this.get(id))!;
  }

  async retry(id: string): Promise<JobRecord> {
    const job = await this.read(id);
    if (!job) throw new JobNotFoundError(`No job ${id}`);
    const now = Date.now();
    const ok = await this.transition(id, ['failed', 'cancelled'], {
      state: 'queued',
      attempts: 0,
      problem: undefined,
      result: undefined,
      cancelRequested: undefined,
      finishedAt: undefined,
      startedAt: undefined,
      runAfter: undefined,
      updatedAt: now,
      bullId: `${id}-r${now}`,
    });
    if (!ok) throw new JobStateConflictError(`Only failed or cancelled jobs can be retried; job ${id} is ${job.state}`);
    await this.r().zrem(this.key('finished'), id);
    await this.appendEvent(id, 'state', { state: 'queued', attempts: 0 });
    const again = (await this.read(id))!;
    await this.enqueue(again, 0, `${id}-r${now}`);
    return this.withPosition(again);
  }

  async setPaused(kind: string, paused: boolean): Promise<void> {
    const q = this.queue(kind);
    if (paused) await q.pause();
    else await q.resume();
  }

  async pausedKinds(): Promise<string[]> {
    const out: string[] = [];
    for (const k of this.host!.kinds.list()) if (await this.queue(k.name).isPaused()) out.push(k.name);
    return out.sort();
  }

  async events(id: string, afterSeq: number): Promise<JobEvent[]> {
    const raw = await this.r().lrange(this.key(`ev:${id}`), afterSeq, -1);
    return raw.map((line) => {
      const sp = line.indexOf(' ');
      const e = JSON.parse(line.slice(sp + 1)) as Omit<JobEvent, 'seq'>;
      return { ...e, seq: Number(line.slice(0, sp)) };
    });
  }

  async stats(): Promise<JobKindStats[]> {
    const out: JobKindStats[] = [];
    for (const k of this.host!.kinds.list()) {
      const q = this.queue(k.name);
      const c = await q.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      const [oldest] = await q.getJobs(['prioritized', 'waiting'], 0, 0, true);
      out.push({
        kind: k.name,
        queued: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0),
        running: c.active ?? 0,
        oldestQueuedAt: oldest?.timestamp,
      });
    }
    return out;
  }

  async purgeFinished(before: number): Promise<number> {
    const redis = this.r();
    const ids = await redis.zrangebyscore(this.key('finished'), '-inf', `(${before}`);
    for (const id of ids) {
      const job = await this.read(id);
      const m = redis
        .multi()
        .del(this.recordKey(id), this.key(`ev:${id}`))
        .zrem(this.key('finished'), id)
        .zrem(this.key('idx:all'), id);
      if (job) {
        m.zrem(this.key(`idx:t:${job.tenant}`), id);
        if (job.idempotencyKey) m.del(this.key(`idem:${job.tenant}:${job.idempotencyKey}`));
      }
      await m.exec();
    }
    return ids.length;
  }

  /** BullMQ processor: one attempt of one of our jobs, judged against its record. */
  private async process(kind: JobKindDefinition, id: string, connection: Redis): Promise<void> {
    const now = Date.now();
    // Read and start in one round trip (START); the record comes back as it was before.
    const [code, seq, attempt, fields] = await (this.r() as RedisWithScripts).jobStart(
      this.recordKey(id),
      this.key(`ev:${id}`),
      this.origin,
      this.channel(''),
      JSON.stringify(this.instance),
      String(now),
      kind.idempotent ? '1' : '0',
    );
    if (code === -1 || code === 0) return;
    const job = this.startRecord(fields);
    if (code === 2) {
      // The instance that ran it died (BullMQ found it stalled), and it may not run twice.
      const problem = jobProblemOf(
        new JobInterruptedError(
          `The instance running this job stopped before it finished; kind ${job.kind} is not idempotent, so it was not run again`,
        ),
      );
      const failed = await this.step(
        id,
        ['running'],
        { state: 'failed', problem, finishedAt: now, updatedAt: now },
        { type: 'state', data: { state: 'failed', attempts: job.attempts, problem } },
        now,
      );
      if (failed.applied) this.host!.onAttemptEnded(kind.name, 'failed', 0);
      return;
    }
    if (job.state === 'running') {
      this.logger.warn(
        { jobId: id, kind: kind.name },
        'job interrupted on another instance; running it again (idempotent kind)',
      );
    }
    this.host!.onEvent({ jobId: id, seq, type: 'state', data: { state: 'running', attempts: attempt }, at: now });
    const started = { cancelRequested: job.cancelRequested === true };
    this.host!.onAttemptStarted(kind.name, Math.max(0, now - Math.max(job.createdAt, job.runAfter ?? 0)));
    const running = new RunningAttempt({
      jobId: id,
      kind,
      payload: job.payload,
      caller: job.submittedBy,
      attempt,
      traceparent: job.traceparent,
      // On the worker's connection, like the attempt's end: Redis keeps them in order.
      progress: (p) => void this.reportProgress(id, p, connection),
      runAs: (caller, fn) => this.host!.runAs(caller, fn),
      logFailure: (err) => this.logger.warn({ err, jobId: id, kind: kind.name }, 'job attempt failed'),
    });
    this.running.set(id, running);
    // A cancel that reached the record before this attempt was registered.
    if (started.cancelRequested) running.cancel();
    const result = await running.result;
    this.running.delete(id);
    // Not awaited: the end of the attempt is sent (synchronously, here) on the worker's connection,
    // just ahead of BullMQ's completion of its job on that same connection, so Redis applies ours
    // first and both travel in one round trip rather than two in a row, which held the worker's
    // slot for one more round trip per job. A crash in between leaves the BullMQ job active: it
    // is found stalled and START sees the record already ended. stop() waits for these writes.
    const recorded: Promise<void> = this.complete(
      job,
      kind,
      attempt,
      result,
      Date.now() - running.startedAt,
      running.cancelRequested,
      connection,
    )
      .catch((err: unknown) => this.logger.error({ err, jobId: id }, 'could not record the end of a job attempt'))
      .finally(() => this.recording.delete(recorded));
    this.recording.add(recorded);
  }

  private async complete(
    job: JobRecord,
    kind: JobKindDefinition,
    attempt: number,
    r: AttemptResult,
    runMs: number,
    cancelRequested: boolean,
    connection: Redis,
  ): Promise<void> {
    const id = job.id;
    const now = Date.now();
    let outcome: AttemptOutcome;
    if (r.kind === 'succeeded') {
      outcome = 'succeeded';
      await this.stepOn(
        connection,
        id,
        ['running'],
        {
          state: 'succeeded',
          result: r.result,
          problem: undefined,
          finishedAt: now,
          updatedAt: now,
          runAfter: undefined,
        },
        { type: 'state', data: { state: 'succeeded', attempts: attempt, result: r.result } },
        now,
      );
    } else if (r.kind === 'cancelled') {
      outcome = 'cancelled';
      await this.stepOn(
        connection,
        id,
        ['running'],
        { state: 'cancelled', problem: r.problem, finishedAt: now, updatedAt: now },
        { type: 'state', data: { state: 'cancelled', attempts: attempt, problem: r.problem } },
        now,
      );
    } else if (r.kind === 'handed_back') {
      outcome = 'handed_back';
      const bullId = `${id}-h${now}`;
      await this.stepOn(
        connection,
        id,
        ['running'],
        { state: 'queued', attempts: attempt - 1, startedAt: undefined, updatedAt: now, bullId },
        { type: 'state', data: { state: 'queued', attempts: attempt - 1 } },
      );
      await this.enqueue(job, 0, bullId);
    } else {
      const retry = kind.idempotent && attempt < kind.retry.attempts && !cancelRequested;
      outcome = retry ? 'retrying' : r.timedOut ? 'timeout' : 'failed';
      if (retry) {
        const delay = retryDelayMs(kind.retry, attempt);
        const runAfter = now + delay;
        const bullId = `${id}-a${attempt + 1}`;
        await this.stepOn(
          connection,
          id,
          ['running'],
          { state: 'queued', problem: r.problem, runAfter, updatedAt: now, bullId },
          { type: 'state', data: { state: 'queued', attempts: attempt, problem: r.problem, runAfter } },
        );
        await this.enqueue(job, delay, bullId);
      } else {
        await this.stepOn(
          connection,
          id,
          ['running'],
          { state: 'failed', problem: r.problem, finishedAt: now, updatedAt: now, runAfter: undefined },
          { type: 'state', data: { state: 'failed', attempts: attempt, problem: r.problem } },
          now,
        );
      }
    }
    this.host!.onAttemptEnded(kind.name, outcome, runMs);
  }

  private async reportProgress(id: string, progress: JobProgress, connection: Redis): Promise<void> {
    const clean = sanitizeProgress(progress);
    try {
      await this.stepOn(connection, id, [], { progress: clean }, { type: 'progress', data: clean });
    } catch (err) {
      this.logger.warn({ err, jobId: id }, 'could not record job progress');
    }
  }

  private async enqueue(
    job: Pick<JobRecord, 'id' | 'kind' | 'priority'>,
    delay: number,
    bullId = job.id,
  ): Promise<void> {
    await this.queue(job.kind).add(
      job.kind,
      { id: job.id },
      {
        jobId: bullId,
        priority: job.priority,
        delay: delay > 0 ? delay : undefined,
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  private async appendEvent(id: string, type: JobEvent['type'], data: JobEvent['data']): Promise<void> {
    await this.step(id, [], {}, { type, data });
  }

  /**
   * A conditional state change with its event, publish and retention mark in one script call.
   * Resolves with whether it applied and whether a cancel was requested meanwhile.
   */
  private step(
    id: string,
    from: JobState[],
    fields: Fields,
    event?: { type: JobEvent['type']; data: JobEvent['data'] },
    finishedAt?: number,
  ): Promise<{ applied: boolean; cancelRequested: boolean }> {
    return this.stepOn(this.r(), id, from, fields, event, finishedAt);
  }

  /** {@link step} on a given connection (one with our scripts). */
  private async stepOn(
    connection: Redis,
    id: string,
    from: JobState[],
    fields: Fields,
    event?: { type: JobEvent['type']; data: JobEvent['data'] },
    finishedAt?: number,
  ): Promise<{ applied: boolean; cancelRequested: boolean }> {
    const at = Date.now();
    const body = event ? JSON.stringify({ jobId: id, type: event.type, data: event.data, at }) : '';
    const args: string[] = [];
    for (const [k, v] of Object.entries(fields)) args.push(k, v === undefined ? '' : JSON.stringify(v));
    const [applied, seq, cancel] = await (connection as RedisWithScripts).jobStep(
      this.recordKey(id),
      this.key(`ev:${id}`),
      this.key('finished'),
      from.map((f) => JSON.stringify(f)).join(','),
      body,
      this.channel(''),
      this.origin,
      finishedAt === undefined ? '' : String(finishedAt),
      ...args,
    );
    if (applied === -1) throw new JobNotFoundError(`No job ${id}`);
    if (applied === 1 && event) this.host!.onEvent({ jobId: id, seq, type: event.type, data: event.data, at });
    return { applied: applied === 1, cancelRequested: cancel === 'true' };
  }

  /** A cancel, or an event of a watch (`all`: through the all-tenants pattern). */
  private receive(channel: string, message: string, all: boolean): void {
    if (!all && channel === this.channel('cancel')) {
      this.running.get(message)?.cancel();
      return;
    }
    // Our own events come back too when watched; they were dispatched when written: skip them unparsed.
    if (message.startsWith(this.ownPrefix)) return;
    let wire: WireEvent;
    try {
      wire = JSON.parse(message) as WireEvent;
    } catch {
      return; // Not ours.
    }
    const jobChannel = this.channel('job:');
    const route: JobEventRoute = all
      ? { allTenants: true }
      : channel.startsWith(jobChannel)
        ? { job: channel.slice(jobChannel.length) }
        : { tenant: channel.slice(this.channel('t:').length) };
    this.host?.onEvent({ ...wire.e, seq: wire.s }, route);
  }

  /** Marks a finished job for retention. */
  private async afterFinish(id: string, at: number): Promise<void> {
    await this.r().zadd(this.key('finished'), at, id);
  }

  private async transition(id: string, from: JobState[], fields: Fields): Promise<boolean> {
    const args: string[] = [];
    for (const [k, v] of Object.entries(fields)) args.push(k, v === undefined ? '' : JSON.stringify(v));
    const res = (await (this.r() as RedisWithScripts).jobTransition(
      this.recordKey(id),
      from.map((f) => JSON.stringify(f)).join(','),
      ...args,
    )) as number;
    if (res === -1) throw new JobNotFoundError(`No job ${id}`);
    return res === 1;
  }

  private flatten(job: JobRecord): string[] {
    const out: string[] = [];
    for (const k of MUTABLE) if (job[k] !== undefined) out.push(k, JSON.stringify(job[k]));
    return out;
  }

  private async read(id: string): Promise<JobRecord | undefined> {
    return this.toRecord(await this.r().hgetall(this.recordKey(id)));
  }

  /** What START returns of a record: the fields an attempt reads ('' for absent ones). */
  private startRecord(f: string[]): JobRecord {
    const [base, payload, state, attempts, priority, runAfter, cancelRequested] = f;
    const job = { ...(JSON.parse(base) as JobRecord), payload: JSON.parse(payload || 'null') as unknown };
    job.state = JSON.parse(state) as JobState;
    job.attempts = attempts ? (JSON.parse(attempts) as number) : 0;
    if (priority) job.priority = JSON.parse(priority) as number;
    if (runAfter) job.runAfter = JSON.parse(runAfter) as number;
    if (cancelRequested) job.cancelRequested = JSON.parse(cancelRequested) as boolean;
    return job;
  }

  private toRecord(h: Record<string, string>): JobRecord | undefined {
    if (!h.base) return undefined;
    const job = { ...(JSON.parse(h.base) as JobRecord), payload: JSON.parse(h.payload ?? 'null') as unknown };
    for (const k of MUTABLE) if (h[k] !== undefined) (job as unknown as Record<string, unknown>)[k] = JSON.parse(h[k]);
    if (h.bullId) (job as JobRecord & { bullId?: string }).bullId = JSON.parse(h.bullId) as string;
    return job;
  }

  private bullId(job: JobRecord): string {
    return (job as JobRecord & { bullId?: string }).bullId ?? job.id;
  }

  private strip(job: JobRecord): JobRecord {
    const { bullId: _bullId, ...clean } = job as JobRecord & { bullId?: string };
    return clean;
  }

  private async withPosition(job: JobRecord): Promise<JobRecord> {
    const clean = this.strip(job);
    if (job.state !== 'queued') return { ...clean, position: undefined };
    const ahead = await this.queue(job.kind).getJobs(['prioritized', 'waiting'], 0, 999, true);
    const idx = ahead.findIndex((j) => j?.id === this.bullId(job));
    return { ...clean, position: idx >= 0 ? idx : undefined };
  }

  private queue(kind: string): Queue {
    let q = this.queues.get(kind);
    if (!q) {
      // The command connection, shared: submit() relies on the queue's commands following its own.
      q = new Queue(kind, { connection: this.r(), prefix: this.bullPrefix });
      q.on('error', (err) => this.logger.warn({ err, kind }, 'job queue error'));
      this.queues.set(kind, q);
    }
    return q;
  }

  private get bullPrefix(): string {
    return `${this.options.keyPrefix}bull`;
  }

  private key(k: string): string {
    return this.p + k;
  }

  private recordKey(id: string): string {
    return this.key(`rec:${id}`);
  }

  private channel(name: string): string {
    return this.p + 'ch:' + name;
  }

  private r(): Redis {
    if (!this.redis) throw new Error('the Redis job backend is not started');
    return this.redis;
  }
}

type RedisWithScripts = Redis & {
  jobTransition(key: string, from: string, ...args: string[]): Promise<unknown>;
  jobStep(rec: string, list: string, finished: string, ...args: string[]): Promise<[number, number, string]>;
  jobStart(rec: string, list: string, ...args: string[]): Promise<[number, number, number, string[]]>;
  jobSubmit(rec: string, list: string, all: string, tenant: string, idem: string, ...args: string[]): Promise<number>;
  jobIdemTakeOver(key: string, was: string, now: string, claimMs: number): Promise<number>;
};
