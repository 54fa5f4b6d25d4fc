import { setTimeout as sleep } from 'node:timers/promises';
import type { AttemptOutcome, JobBackend, JobBackendHost } from './job-backend';
import { toJobKindDefinition } from './job-kind-registry';
import type { JobCaller, JobContext, JobEvent, JobKindDefinition, JobRecord, JobState } from './job.types';
import { InvalidJobPayloadError } from './jobs.errors';

/** What a contract run needs: a fresh backend (not started) and a way to clean up after it. */
export interface JobBackendSubject {
  backend: JobBackend;
  cleanup(): Promise<void>;
}

/** Polls until `predicate` holds; job execution is asynchronous on every backend. (src never imports test/.) */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met in time; last value ${JSON.stringify(v)}`);
    await sleep(10);
  }
}

const alice: JobCaller = { id: 'alice', kind: 'api-key', roles: ['operator'], tenant: 'tenant-a' };
const bob: JobCaller = { id: 'bob', kind: 'api-key', roles: ['operator'], tenant: 'tenant-b' };

interface Gate {
  open: () => void;
  opened: Promise<void>;
  started: boolean;
  aborted?: unknown;
  ctx?: JobContext;
}

/**
 * The {@link JobBackend} contract, run against every implementation so they cannot drift apart.
 * Kinds are declared once per run; tests drive them through their payloads and gates.
 */
export function describeJobBackendContract(name: string, open: () => Promise<JobBackendSubject>): void {
  describe(`JobBackend contract: ${name}`, () => {
    let subject: JobBackendSubject;
    let backend: JobBackend;
    const events: JobEvent[] = [];
    const outcomes: { kind: string; outcome: AttemptOutcome }[] = [];
    const gates = new Map<string, Gate>();
    const startOrder: string[] = [];
    let runningGated = 0;
    let maxRunningGated = 0;

    const gate = (token: string): Gate => {
      let g = gates.get(token);
      if (!g) {
        let open!: () => void;
        const opened = new Promise<void>((r) => (open = r));
        g = { open, opened, started: false };
        gates.set(token, g);
      }
      return g;
    };

    const kinds: JobKindDefinition[] = [
      toJobKindDefinition(
        { name: 'contract.echo', concurrency: 4 },
        async (payload, ctx) => {
          const p = payload as { fail?: 'domain' | 'plain'; progress?: number };
          for (let i = 1; i <= (p.progress ?? 0); i++) ctx.progress({ value: i, max: p.progress, stage: 'step' });
          if (p.fail === 'domain') throw new InvalidJobPayloadError('bad input for echo');
          if (p.fail === 'plain') throw new Error('secret internal detail');
          return Promise.resolve({ echoed: payload, tenant: ctx.tenant, attempt: ctx.attempt });
        },
        60_000,
      ),
      toJobKindDefinition(
        { name: 'contract.flaky', idempotent: true, retry: { attempts: 3, backoffMs: 30, maxBackoffMs: 60 } },
        async (payload, ctx) => {
          const p = payload as { succeedOn: number };
          if (ctx.attempt < p.succeedOn) throw new Error(`attempt ${ctx.attempt} fails`);
          return Promise.resolve({ attempt: ctx.attempt });
        },
        60_000,
      ),
      toJobKindDefinition(
        { name: 'contract.gated', concurrency: 2, timeoutMs: 1_500 },
        async (payload, ctx) => {
          const p = payload as { token: string; ignoreSignal?: boolean };
          const g = gate(p.token);
          g.started = true;
          g.ctx = ctx;
          startOrder.push(p.token);
          runningGated++;
          maxRunningGated = Math.max(maxRunningGated, runningGated);
          try {
            await new Promise<void>((resolve, reject) => {
              void g.opened.then(resolve);
              if (!p.ignoreSignal) {
                ctx.signal.addEventListener('abort', () => {
                  g.aborted = ctx.signal.reason;
                  reject(ctx.signal.reason as Error);
                });
              }
            });
            return { token: p.token };
          } finally {
            runningGated--;
          }
        },
        60_000,
      ),
      toJobKindDefinition(
        { name: 'contract.queue', concurrency: 1 },
        async (payload) => {
          startOrder.push((payload as { token: string }).token);
          return Promise.resolve(null);
        },
        60_000,
      ),
    ];

    const host: JobBackendHost = {
      kinds: { get: (n) => kinds.find((k) => k.name === n), list: () => kinds },
      onEvent: (e) => events.push(e),
      onAttemptStarted: () => undefined,
      onAttemptEnded: (kind, outcome) => outcomes.push({ kind, outcome }),
      runAs: (_caller, fn) => fn(),
    };

    const stateOf = (id: string) => backend.get(id).then((j) => j?.state);
    const waitState = (id: string, state: JobState, timeoutMs?: number) =>
      eventually(
        () => backend.get(id),
        (j) => j?.state === state,
        timeoutMs,
      ) as Promise<JobRecord>;

    beforeAll(async () => {
      subject = await open();
      backend = subject.backend;
      await backend.start(host);
    });
    afterAll(async () => {
      for (const g of gates.values()) g.open();
      await backend?.stop(1_000);
      await subject?.cleanup();
    });

    it('should accept a job durably as queued, run it as its caller and keep the result', async () => {
      const { job, created } = await backend.submit({ kind: 'contract.echo', payload: { n: 1 }, caller: alice });
      expect(created).toBe(true);
      expect(job).toMatchObject({ kind: 'contract.echo', tenant: 'tenant-a', state: 'queued', attempts: 0 });
      expect(job.submittedBy).toEqual(alice);
      const done = await waitState(job.id, 'succeeded');
      expect(done.result).toEqual({ echoed: { n: 1 }, tenant: 'tenant-a', attempt: 1 });
      expect(done.attempts).toBe(1);
      expect(done.startedAt).toBeGreaterThanOrEqual(done.createdAt);
      expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt!);
      const history = await backend.events(job.id, 0);
      expect(history.map((e) => (e.data as { state: string }).state)).toEqual(['queued', 'running', 'succeeded']);
      expect(history.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await backend.events(job.id, 2)).toHaveLength(1);
    });

    it('should return the existing job for a repeated idempotency key of the same tenant only', async () => {
      const key = `key-${Date.now()}`;
      const first = await backend.submit({ kind: 'contract.echo', payload: {}, caller: alice, idempotencyKey: key });
      const again = await backend.submit({
        kind: 'contract.echo',
        payload: { other: 1 },
        caller: alice,
        idempotencyKey: key,
      });
      const otherTenant = await backend.submit({
        kind: 'contract.echo',
        payload: {},
        caller: bob,
        idempotencyKey: key,
      });
      expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
      expect(otherTenant.created).toBe(true);
      expect(otherTenant.job.id).not.toBe(first.job.id);
    });

    it('should store progress on the record and as ordered events reported to the host', async () => {
      const { job } = await backend.submit({ kind: 'contract.echo', payload: { progress: 3 }, caller: alice });
      const done = await waitState(job.id, 'succeeded');
      expect(done.progress).toEqual({ value: 3, max: 3, stage: 'step' });
      const progress = (await backend.events(job.id, 0)).filter((e) => e.type === 'progress');
      expect(progress.map((e) => (e.data as { value: number }).value)).toEqual([1, 2, 3]);
      await eventually(
        () => Promise.resolve(events.filter((e) => e.jobId === job.id && e.type === 'progress').length),
        (n) => n === 3,
      );
    });

    it('should fail a job with the domain problem of its handler, and hide other errors', async () => {
      const domain = await backend.submit({ kind: 'contract.echo', payload: { fail: 'domain' }, caller: alice });
      const plain = await backend.submit({ kind: 'contract.echo', payload: { fail: 'plain' }, caller: alice });
      const d = await waitState(domain.job.id, 'failed');
      const p = await waitState(plain.job.id, 'failed');
      expect(d.problem).toMatchObject({ code: 'JOBS.INVALID_PAYLOAD', status: 400, detail: 'bad input for echo' });
      expect(p.problem).toMatchObject({ code: 'JOBS.HANDLER_FAILED', status: 500 });
      expect(JSON.stringify(p.problem)).not.toContain('secret internal detail');
    });

    it('should retry an idempotent kind with backoff until it succeeds', async () => {
      const { job } = await backend.submit({ kind: 'contract.flaky', payload: { succeedOn: 3 }, caller: alice });
      const done = await waitState(job.id, 'succeeded');
      expect(done.attempts).toBe(3);
      expect(done.result).toEqual({ attempt: 3 });
      const states = (await backend.events(job.id, 0)).map((e) => e.data as { state: string; runAfter?: number });
      const requeued = states.filter((s, i) => i > 0 && s.state === 'queued');
      expect(requeued).toHaveLength(2);
      for (const s of requeued) expect(typeof s.runAfter).toBe('number');
    });

    it('should fail an idempotent kind once its attempts are used up', async () => {
      const { job } = await backend.submit({ kind: 'contract.flaky', payload: { succeedOn: 99 }, caller: alice });
      const failed = await waitState(job.id, 'failed');
      expect(failed.attempts).toBe(3);
      expect(failed.problem?.code).toBe('JOBS.HANDLER_FAILED');
    });

    it('should run no more jobs of a kind at once than its concurrency', async () => {
      const tokens = ['c1', 'c2', 'c3', 'c4'].map((t) => `${t}-${Date.now()}`);
      const jobs = await Promise.all(
        tokens.map((token) => backend.submit({ kind: 'contract.gated', payload: { token }, caller: alice })),
      );
      await eventually(
        () => Promise.resolve(tokens.filter((t) => gate(t).started).length),
        (n) => n === 2,
      );
      const queued = await Promise.all(jobs.map((j) => stateOf(j.job.id)));
      expect(queued.filter((s) => s === 'queued')).toHaveLength(2);
      for (const t of tokens) gate(t).open();
      for (const j of jobs) await waitState(j.job.id, 'succeeded');
      expect(maxRunningGated).toBe(2);
    });

    it('should cancel a queued job without touching the running ones', async () => {
      const t1 = `q1-${Date.now()}`;
      const t2 = `q2-${Date.now()}`;
      const t3 = `q3-${Date.now()}`;
      const a = await backend.submit({ kind: 'contract.gated', payload: { token: t1 }, caller: alice });
      const b = await backend.submit({ kind: 'contract.gated', payload: { token: t2 }, caller: alice });
      await waitState(a.job.id, 'running');
      await waitState(b.job.id, 'running');
      const c = await backend.submit({ kind: 'contract.gated', payload: { token: t3 }, caller: alice });
      expect((await backend.get(c.job.id))?.position).toBe(0);
      const cancelled = await backend.cancel(c.job.id);
      expect(cancelled.state).toBe('cancelled');
      expect(cancelled.problem?.code).toBe('JOBS.CANCELLED');
      expect(gate(t1).aborted).toBeUndefined();
      expect(gate(t3).started).toBe(false);
      gate(t1).open();
      gate(t2).open();
      await waitState(a.job.id, 'succeeded');
      await waitState(b.job.id, 'succeeded');
      expect(await stateOf(c.job.id)).toBe('cancelled');
      expect(gate(t3).started).toBe(false);
    });

    it('should abort the signal of a cancelled running job and end it cancelled', async () => {
      const token = `run-cancel-${Date.now()}`;
      const { job } = await backend.submit({ kind: 'contract.gated', payload: { token }, caller: alice });
      await waitState(job.id, 'running');
      await eventually(() => Promise.resolve(gate(token).started), Boolean);
      await backend.cancel(job.id);
      const done = await waitState(job.id, 'cancelled');
      expect(gate(token).aborted).toMatchObject({ code: 'JOBS.CANCELLED' });
      expect(done.problem?.code).toBe('JOBS.CANCELLED');
      await expect(backend.cancel(job.id)).rejects.toMatchObject({ code: 'JOBS.STATE_CONFLICT' });
    });

    it('should fail a job whose handler ignores the cancel at its timeout', async () => {
      const token = `ignore-${Date.now()}`;
      const { job } = await backend.submit({
        kind: 'contract.gated',
        payload: { token, ignoreSignal: true },
        caller: alice,
      });
      await eventually(() => Promise.resolve(gate(token).started), Boolean);
      const asked = await backend.cancel(job.id);
      expect(asked.state).toBe('running');
      expect(asked.cancelRequested).toBe(true);
      const failed = await waitState(job.id, 'failed');
      expect(failed.problem?.code).toBe('JOBS.TIMEOUT');
      expect(failed.problem?.detail).toMatch(/cancelled but its handler did not stop/);
      gate(token).open();
    });

    it('should fail an attempt that outlives its timeout even when nobody cancels it', async () => {
      const token = `timeout-${Date.now()}`;
      const { job } = await backend.submit({ kind: 'contract.gated', payload: { token }, caller: alice });
      const failed = await waitState(job.id, 'failed');
      expect(failed.problem).toMatchObject({ code: 'JOBS.TIMEOUT', status: 504 });
      expect(gate(token).aborted).toMatchObject({ code: 'JOBS.TIMEOUT' });
    });

    it('should run a retried failed job again from its first attempt', async () => {
      const { job } = await backend.submit({ kind: 'contract.echo', payload: { fail: 'domain' }, caller: alice });
      await waitState(job.id, 'failed');
      await expect(
        backend.retry((await backend.submit({ kind: 'contract.echo', payload: {}, caller: alice })).job.id),
      ).rejects.toBeDefined();
      const again = await backend.retry(job.id);
      expect(again.state).toBe('queued');
      const failed = await eventually(
        () => backend.events(job.id, 0),
        (evs) => evs.filter((e) => (e.data as { state?: string }).state === 'failed').length === 2,
      );
      expect(failed.length).toBeGreaterThan(4);
      await expect(backend.retry('no-such-job')).rejects.toMatchObject({ code: 'JOBS.NOT_FOUND' });
    });

    it('should keep jobs of a paused kind queued, in priority order, until resumed', async () => {
      await backend.setPaused('contract.queue', true);
      expect(await backend.pausedKinds()).toContain('contract.queue');
      const stamp = Date.now();
      const low = await backend.submit({
        kind: 'contract.queue',
        payload: { token: `low-${stamp}` },
        caller: alice,
        priority: 500,
      });
      const high = await backend.submit({
        kind: 'contract.queue',
        payload: { token: `high-${stamp}` },
        caller: alice,
        priority: 5,
      });
      await sleep(100);
      expect(await stateOf(low.job.id)).toBe('queued');
      expect((await backend.get(high.job.id))?.position).toBe(0);
      expect((await backend.get(low.job.id))?.position).toBe(1);
      const stats = await backend.stats();
      expect(stats.find((s) => s.kind === 'contract.queue')).toMatchObject({ queued: 2 });
      await backend.setPaused('contract.queue', false);
      await waitState(low.job.id, 'succeeded');
      await waitState(high.job.id, 'succeeded');
      const order = startOrder.filter((t) => t.endsWith(`-${stamp}`));
      expect(order).toEqual([`high-${stamp}`, `low-${stamp}`]);
    });

    it('should list jobs newest first, filtered by tenant, kind and state, page by page', async () => {
      const mine = [];
      for (let i = 0; i < 3; i++)
        mine.push((await backend.submit({ kind: 'contract.echo', payload: { i }, caller: bob })).job);
      for (const j of mine) await waitState(j.id, 'succeeded');
      const page1 = await backend.list({ tenant: 'tenant-b', kind: 'contract.echo', state: 'succeeded', limit: 2 });
      expect(page1.items).toHaveLength(2);
      expect(page1.nextCursor).toBeDefined();
      const page2 = await backend.list({
        tenant: 'tenant-b',
        kind: 'contract.echo',
        state: 'succeeded',
        limit: 2,
        cursor: page1.nextCursor,
      });
      const ids = [...page1.items, ...page2.items].map((j) => j.id);
      expect(ids.slice(0, 3)).toEqual(mine.map((j) => j.id).reverse());
      expect([...page1.items, ...page2.items].every((j) => j.tenant === 'tenant-b')).toBe(true);
      const all = await backend.list({ limit: 1_000 });
      expect(all.items.some((j) => j.tenant === 'tenant-a')).toBe(true);
    });

    it('should remove finished jobs and their events at retention', async () => {
      const { job } = await backend.submit({ kind: 'contract.echo', payload: {}, caller: alice });
      await waitState(job.id, 'succeeded');
      const running = await backend.submit({
        kind: 'contract.gated',
        payload: { token: `keep-${Date.now()}` },
        caller: alice,
      });
      expect(await backend.purgeFinished(Date.now() + 1)).toBeGreaterThan(0);
      expect(await backend.get(job.id)).toBeUndefined();
      expect(await backend.events(job.id, 0)).toEqual([]);
      expect(await backend.get(running.job.id)).toBeDefined();
      await backend.cancel(running.job.id);
    });

    it('should report every attempt outcome to the host', () => {
      const seen = new Set(outcomes.map((o) => o.outcome));
      for (const o of ['succeeded', 'failed', 'retrying', 'cancelled', 'timeout'] as const) expect(seen).toContain(o);
    });
  });
}
