import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});
