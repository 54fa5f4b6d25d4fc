import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobFixturesModule } from './fixtures/jobs/job-fixtures.module';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { TEST_KEYS, type TestKey } from './support/test-credentials';

const acme = TEST_KEYS.acme.operator;
const acmeAdmin = TEST_KEYS.acme.admin;
const acmeViewer = TEST_KEYS.acme.viewer;
const globex = TEST_KEYS.globex.operator;

interface Job {
  id: string;
  kind: string;
  tenant: string;
  state: string;
  attempts: number;
  position?: number;
  result?: unknown;
  problem?: { code: string; status: number; detail: string };
  cancelRequested?: boolean;
  payload?: unknown;
}

/** A server that accepts requests and never answers; records when their sockets close. */
class HangingUpstream {
  readonly server: Server;
  requests = 0;
  closed = 0;
  private readonly sockets = new Set<Socket>();
  constructor() {
    this.server = createServer(() => this.requests++);
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => {
        this.closed++;
        this.sockets.delete(s);
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hang`;
  }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

describe('Platform jobs (e2e)', () => {
  let app: NestExpressApplication;
  let base: string;
  let dataDir: string;
  const clients: SseTestClient[] = [];

  const call = (key: TestKey, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const submit = async (kind: string, payload: unknown, key = acme, headers: Record<string, string> = {}) => {
    const res = await call(key, 'POST', `/test-jobs/${kind}`, payload, headers);
    expect(res.status).toBe(202);
    return { res, job: (await res.json()) as Job };
  };
  const getJob = async (id: string, key = acme) => (await (await call(key, 'GET', `/jobs/${id}`)).json()) as Job;
  const waitState = (id: string, state: string, timeoutMs = 10_000) =>
    eventually(
      async () => {
        const j = await getJob(id);
        return j.state === state ? j : undefined;
      },
      { timeoutMs, what: `job ${id} ${state}` },
    );
  const follow = (id: string, key = acme, lastEventId?: string) => {
    const c = new SseTestClient(`${base}/jobs/${id}/events`, ['state', 'progress'], {
      authorization: `Bearer ${key.key}`,
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-jobs-e2e-'));
    app = await createTestApp({ extra: { imports: [JobFixturesModule] }, env: { DATA_DIR: dataDir } });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should accept a job with 202 and Location, run it and show its result but not its payload', async () => {
    const { res, job } = await submit('test.echo', { hello: 'world' });
    expect(res.headers.get('location')).toBe(`/jobs/${job.id}`);
    expect(job).toMatchObject({ kind: 'test.echo', tenant: 'acme', state: 'queued', attempts: 0 });
    const done = await waitState(job.id, 'succeeded');
    expect(done.result).toEqual({ payload: { hello: 'world' }, tenant: 'acme', attempt: 1 });
    expect(done.payload).toBeUndefined();
  });

  it('should stream progress and state over SSE and resume after Last-Event-ID without repeats', async () => {
    const { job } = await submit('test.echo', { steps: 6, delayMs: 150 });
    const first = follow(job.id);
    await first.until(() => first.of('progress').length >= 2);
    first.close();
    const lastId = first.events[first.events.length - 1].id;
    const resumed = follow(job.id, acme, lastId);
    await resumed.ended();
    const seen = [...first.events, ...resumed.events].filter((e) => e.type === 'progress');
    expect(seen.map((e) => (e.data as { value: number }).value)).toEqual([1, 2, 3, 4, 5, 6]);
    const ids = [...first.events, ...resumed.events].map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const done = resumed.of('done')[0];
    expect(done.data).toEqual({
      state: 'succeeded',
      result: { payload: { steps: 6, delayMs: 150 }, tenant: 'acme', attempt: 1 },
    });
    // A client that comes after the end gets the history and the terminal event at once.
    const late = follow(job.id);
    await late.ended();
    expect(late.of('progress')).toHaveLength(6);
    expect(late.of('done')).toHaveLength(1);
  });

  it('should return the existing job for a repeated Idempotency-Key', async () => {
    const key = `idem-${Date.now()}`;
    const a = await submit('test.echo', { n: 1 }, acme, { 'idempotency-key': key });
    const b = await submit('test.echo', { n: 2 }, acme, { 'idempotency-key': key });
    expect(b.job.id).toBe(a.job.id);
    expect(b.res.headers.get('idempotent-replayed')).toBe('true');
    expect(a.res.headers.get('idempotent-replayed')).toBeNull();
    const bad = await call(acme, 'POST', '/test-jobs/test.echo', {}, { 'idempotency-key': 'has space' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('JOBS.INVALID_REQUEST');
  });

  it('should cancel a queued job without touching the running one, then cancel the running one', async () => {
    const running = await submit('test.slow', { ms: 60_000 });
    await waitState(running.job.id, 'running');
    const queued = await submit('test.slow', { ms: 1 });
    expect((await getJob(queued.job.id)).position).toBe(0);
    const cancelQueued = await call(acme, 'DELETE', `/jobs/${queued.job.id}`);
    expect(cancelQueued.status).toBe(202);
    expect(((await cancelQueued.json()) as Job).state).toBe('cancelled');
    expect((await getJob(running.job.id)).state).toBe('running');
    const events = follow(running.job.id);
    await events.until(() => events.of('state').length > 0);
    expect((await call(acme, 'DELETE', `/jobs/${running.job.id}`)).status).toBe(202);
    await events.ended();
    const err = events.of('error')[0];
    expect(err.data).toMatchObject({ code: 'JOBS.CANCELLED', status: 409, instance: `/jobs/${running.job.id}/events` });
    expect((await getJob(queued.job.id)).state).toBe('cancelled');
    const again = await call(acme, 'DELETE', `/jobs/${running.job.id}`);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
  });

  it('should close the upstream request of a running job when it is cancelled', async () => {
    const upstream = new HangingUpstream();
    const url = await upstream.listen();
    try {
      const { job } = await submit('test.upstream', { url });
      await eventually(() => upstream.requests === 1, { what: 'upstream request' });
      expect(upstream.closed).toBe(0);
      await call(acme, 'DELETE', `/jobs/${job.id}`);
      await eventually(() => upstream.closed === 1, { what: 'upstream socket closed' });
      const done = await waitState(job.id, 'cancelled');
      expect(done.problem?.code).toBe('JOBS.CANCELLED');
    } finally {
      await upstream.close();
    }
  });

  it('should retry an idempotent kind with backoff until it succeeds', async () => {
    const { job } = await submit('test.flaky', { succeedOn: 3 });
    const events = follow(job.id);
    await events.ended();
    expect(events.of('done')[0].data).toMatchObject({ state: 'succeeded', result: { attempt: 3 } });
    const requeues = events
      .of('state')
      .filter((e) => (e.data as { state: string }).state === 'queued')
      .slice(1);
    expect(requeues).toHaveLength(2);
    for (const r of requeues) {
      const d = r.data as { runAfter: number; at: string; problem: { code: string } };
      expect(d.problem.code).toBe('JOBS.HANDLER_FAILED');
      expect(d.runAfter).toBeGreaterThanOrEqual(Date.parse(d.at));
    }
    expect((await getJob(job.id)).attempts).toBe(3);
  });

  it('should fail a job that ignores its signal at its timeout, with the problem on SSE', async () => {
    const { job } = await submit('test.stubborn', {});
    await waitState(job.id, 'running');
    await call(acme, 'DELETE', `/jobs/${job.id}`);
    expect((await getJob(job.id)).cancelRequested).toBe(true);
    const events = follow(job.id);
    await events.ended();
    expect(events.of('error')[0].data).toMatchObject({ code: 'JOBS.TIMEOUT', status: 504 });
    expect((await getJob(job.id)).state).toBe('failed');
  });

  it("should keep tenants apart: another tenant's job is not found, admins see every tenant", async () => {
    const { job } = await submit('test.echo', {}, acme);
    const other = await call(globex, 'GET', `/jobs/${job.id}`);
    expect(other.status).toBe(404);
    expect(((await other.json()) as { code: string }).code).toBe('JOBS.NOT_FOUND');
    expect((await call(globex, 'DELETE', `/jobs/${job.id}`)).status).toBe(404);
    expect((await call(globex, 'GET', `/jobs/${job.id}/events`)).status).toBe(404);
    await submit('test.echo', {}, globex);
    const mine = (await (await call(globex, 'GET', '/jobs?limit=200')).json()) as { items: Job[] };
    expect(mine.items.length).toBeGreaterThan(0);
    expect(mine.items.every((j) => j.tenant === 'globex')).toBe(true);
    const all = (await (await call(acmeAdmin, 'GET', '/jobs?limit=200')).json()) as { items: Job[] };
    expect(new Set(all.items.map((j) => j.tenant))).toEqual(new Set(['acme', 'globex']));
    expect((await call(acmeAdmin, 'GET', `/jobs/${job.id}`)).status).toBe(200);
  });

  it('should page the listing with a cursor and filter by kind and state', async () => {
    for (let i = 0; i < 3; i++) await submit('test.echo', { i }, globex);
    const page1 = (await (await call(globex, 'GET', '/jobs?kind=test.echo&limit=2')).json()) as {
      items: Job[];
      nextCursor: string;
    };
    expect(page1.items).toHaveLength(2);
    const page2 = (await (
      await call(globex, 'GET', `/jobs?kind=test.echo&limit=2&cursor=${page1.nextCursor}`)
    ).json()) as { items: Job[] };
    expect(page2.items.length).toBeGreaterThan(0);
    expect(page2.items.map((j) => j.id)).not.toContain(page1.items[0].id);
    const bad = await call(globex, 'GET', '/jobs?cursor=nonsense');
    expect(bad.status).toBe(400);
    expect((await call(globex, 'GET', '/jobs?state=sleeping')).status).toBe(400);
    expect((await call(globex, 'GET', '/jobs?limit=0')).status).toBe(400);
  });

  it('should let admins pause and resume a kind and retry a failed job, and nobody else', async () => {
    expect((await call(acmeViewer, 'POST', '/jobs/kinds/test.echo/pause')).status).toBe(403);
    const paused = await call(acmeAdmin, 'POST', '/jobs/kinds/test.echo/pause');
    expect(await paused.json()).toEqual({ paused: ['test.echo'] });
    const { job } = await submit('test.echo', { fail: 'boom' });
    await new Promise((r) => setTimeout(r, 200));
    expect((await getJob(job.id)).state).toBe('queued');
    expect((await call(acmeAdmin, 'POST', '/jobs/kinds/test.echo/resume')).status).toBe(200);
    const failed = await waitState(job.id, 'failed');
    expect(failed.problem).toMatchObject({ code: 'JOBS.HANDLER_FAILED', status: 500 });
    expect(JSON.stringify(failed.problem)).not.toContain('boom');
    expect((await call(acme, 'POST', `/jobs/${job.id}/retry`)).status).toBe(403);
    const retried = await call(acmeAdmin, 'POST', `/jobs/${job.id}/retry`);
    expect(retried.status).toBe(202);
    await eventually(async () => (await getJob(job.id)).state === 'failed' && (await getJob(job.id)).attempts === 1);
    expect((await call(acmeAdmin, 'POST', '/jobs/kinds/no.such.kind/pause')).status).toBe(400);
  });

  it('should answer bad input with problem+json 4xx', async () => {
    const notUuid = await call(acme, 'GET', '/jobs/not-a-uuid');
    expect(notUuid.status).toBe(400);
    expect(notUuid.headers.get('content-type')).toContain('application/problem+json');
    const unknown = await call(acme, 'POST', '/test-jobs/no.such.kind', {});
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { code: string }).code).toBe('JOBS.UNKNOWN_KIND');
    const missing = await call(acme, 'GET', '/jobs/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect((await fetch(`${base}/jobs`)).status).toBe(401);
  });

  it('should run CPU-heavy work in a worker thread, keeping the event loop free, and stop it on cancel', async () => {
    const { job } = await submit('test.cpu', { ms: 1_500 });
    await waitState(job.id, 'running');
    const t0 = performance.now();
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    // On the main thread this answer would wait for the 1.5 s spin to end.
    expect(performance.now() - t0).toBeLessThan(1_000);
    const done = await waitState(job.id, 'succeeded');
    expect((done.result as { threadId: number }).threadId).toBeGreaterThan(0);

    const long = await submit('test.cpu', { ms: 120_000 });
    await waitState(long.job.id, 'running');
    await call(acme, 'DELETE', `/jobs/${long.job.id}`);
    const cancelled = await waitState(long.job.id, 'cancelled');
    expect(cancelled.problem?.code).toBe('JOBS.CANCELLED');
  });

  it('should report the jobs service with its backlog in health and count attempts in metrics', async () => {
    const res = await call(acmeAdmin, 'GET', '/services/jobs');
    const body = (await res.json()) as { state: string; health: { status: string; details: Record<string, unknown> } };
    expect(body.state).toBe('RUNNING');
    expect(body.health.details).toMatchObject({ backend: 'embedded' });
    expect(typeof body.health.details.backlog).toBe('number');
    const metrics = await (await call(acmeAdmin, 'GET', '/metrics')).text();
    expect(metrics).toMatch(/fennec_jobs_attempts_total\{kind="test.echo",outcome="succeeded"\} \d+/);
    expect(metrics).toMatch(/fennec_jobs_retries_total\{kind="test.flaky"\} 2/);
    expect(metrics).toMatch(/fennec_jobs_cancellations_total\{kind="test.slow"\} 2/);
    expect(metrics).toMatch(/fennec_jobs_run_seconds_bucket\{le="[^"]+",kind="test.echo"\}/);
    expect(metrics).toMatch(/fennec_jobs_queued\{kind="test.echo"\} \d+/);
  });
});
