import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { JobFixturesModule } from './fixtures/jobs/job-fixtures.module';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { TEST_KEYS } from './support/test-credentials';

const key = TEST_KEYS.acme.operator;

interface Job {
  id: string;
  state: string;
  runningOn?: string;
  problem?: { code: string };
  result?: unknown;
}

describe('Platform jobs on two instances sharing Redis (e2e, BullMQ backend)', () => {
  const prefix = `fennec-test:${randomUUID()}:`;
  let dataDir: string;
  let a: NestExpressApplication;
  let b: NestExpressApplication;
  let baseA: string;
  let baseB: string;
  const clients: SseTestClient[] = [];

  const api = (base: string, method: string, path: string, body?: unknown) =>
    fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const get = async (base: string, id: string) => (await (await api(base, 'GET', `/jobs/${id}`)).json()) as Job;
  const waitFor = (base: string, id: string, pred: (j: Job) => boolean, what: string) =>
    eventually(
      async () => {
        const j = await get(base, id);
        return pred(j) ? j : undefined;
      },
      { timeoutMs: 15_000, what },
    );

  async function start(name: string): Promise<[NestExpressApplication, string]> {
    const app = await createTestApp({
      extra: { imports: [JobFixturesModule] },
      env: {
        REDIS_URL: 'redis://127.0.0.1:6379',
        STATE_KEY_PREFIX: prefix,
        DATA_DIR: mkdtempSync(join(dataDir, `${name}-`)),
        JOBS_DRAIN_TIMEOUT_MS: '200',
      },
    });
    await app.listen(0, '127.0.0.1');
    return [app, `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`];
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-jobs-redis-'));
    [a, baseA] = await start('a');
    [b, baseB] = await start('b');
  }, 60_000);
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('should use the Redis backend on both instances', async () => {
    for (const base of [baseA, baseB]) {
      const res = await fetch(`${base}/services/jobs`, {
        headers: { authorization: `Bearer ${TEST_KEYS.acme.admin.key}` },
      });
      expect(((await res.json()) as { health: { details: { backend: string } } }).health.details.backend).toBe('redis');
    }
  });

  it('should run jobs submitted on A on both instances, stream B-run events to a client of A, and cancel across instances', async () => {
    // test.slow runs one job per instance: two such jobs submitted on A occupy both instances.
    const first = (await (await api(baseA, 'POST', '/test-jobs/test.slow', { ms: 60_000 })).json()) as Job;
    const second = (await (await api(baseA, 'POST', '/test-jobs/test.slow', { ms: 60_000 })).json()) as Job;
    const runs = await Promise.all(
      [first, second].map((j) => waitFor(baseA, j.id, (x) => x.state === 'running', `job ${j.id} running`)),
    );
    expect(runs[0].runningOn).toBeDefined();
    expect(runs[0].runningOn).not.toBe(runs[1].runningOn);

    // A client of A follows both; each job is cancelled through the instance that does NOT hold the client's stream.
    const followers = [first, second].map((j) => {
      const c = new SseTestClient(`${baseA}/jobs/${j.id}/events`, ['state', 'progress'], {
        authorization: `Bearer ${key.key}`,
      });
      clients.push(c);
      return c;
    });
    await Promise.all(followers.map((c) => c.until(() => c.of('state').length >= 2)));
    expect((await api(baseB, 'DELETE', `/jobs/${first.id}`)).status).toBe(202);
    expect((await api(baseB, 'DELETE', `/jobs/${second.id}`)).status).toBe(202);
    await Promise.all(followers.map((c) => c.ended()));
    for (const c of followers) expect(c.of('error')[0].data).toMatchObject({ code: 'JOBS.CANCELLED' });
    for (const j of [first, second]) expect((await get(baseB, j.id)).state).toBe('cancelled');
  });

  it('should show a job to either instance and deliver its progress to a client of the other', async () => {
    const job = (await (await api(baseB, 'POST', '/test-jobs/test.echo', { steps: 4, delayMs: 100 })).json()) as Job;
    const c = new SseTestClient(`${baseA}/jobs/${job.id}/events`, ['state', 'progress'], {
      authorization: `Bearer ${key.key}`,
    });
    clients.push(c);
    await c.ended();
    expect(c.of('progress').map((e) => (e.data as { value: number }).value)).toEqual([1, 2, 3, 4]);
    expect(c.of('done')[0].data).toMatchObject({ state: 'succeeded' });
    expect((await get(baseA, job.id)).state).toBe('succeeded');
  });

  it('should deliver the events of jobs run anywhere to all-jobs WebSocket subscribers: their tenant’s, every tenant’s for admins', async () => {
    const port = (app: NestExpressApplication) => (app.getHttpServer().address() as AddressInfo).port;
    const sockets: WebSocket[] = [];
    const subscribe = async (k: { key: string }) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port(a)}/jobs/ws`, { headers: { authorization: `Bearer ${k.key}` } });
      sockets.push(ws);
      const messages: { type: string; job?: string; data?: { state?: string } }[] = [];
      ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as (typeof messages)[number]));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'subscribe', all: true }));
      await eventually(() => messages.some((m) => m.type === 'subscribed'), { what: 'the subscription is live' });
      return messages;
    };
    const succeeded = (messages: Awaited<ReturnType<typeof subscribe>>, id: string) =>
      messages.some((m) => m.job === id && m.data?.state === 'succeeded');
    try {
      const tenant = await subscribe(key);
      const admin = await subscribe(TEST_KEYS.acme.admin);
      // Either instance runs them; those run on B reach A only through Redis (routing: redis-job-backend.spec.ts).
      const submitAs = async (k: { key: string }) => {
        const res = await fetch(`${baseB}/test-jobs/test.echo`, {
          method: 'POST',
          headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ steps: 2, delayMs: 20 }),
        });
        return ((await res.json()) as Job).id;
      };
      const mine = await Promise.all([1, 2, 3, 4].map(() => submitAs(key)));
      const theirs = await Promise.all([1, 2].map(() => submitAs(TEST_KEYS.globex.operator)));
      await eventually(() => [...mine, ...theirs].every((id) => succeeded(admin, id)), {
        what: 'admin saw every job end',
      });
      await eventually(() => mine.every((id) => succeeded(tenant, id)), { what: 'the tenant saw its jobs end' });
      expect(tenant.filter((m) => theirs.includes(m.job ?? ''))).toEqual([]);
    } finally {
      for (const ws of sockets) ws.terminate();
    }
  });
});
