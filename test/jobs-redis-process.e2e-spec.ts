import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { eventually } from './support/eventually';
import { spawnApp, waitReady, type SpawnedApp } from './support/spawn-app';
import { TEST_KEYS, testAuthEnv } from './support/test-credentials';

const REDIS_URL = 'redis://127.0.0.1:6379';
const key = TEST_KEYS.acme.operator;

interface Job {
  id: string;
  state: string;
  attempts: number;
  runningOn?: string;
  result?: { attempt?: number };
  problem?: { code: string };
}

// Each test boots two real servers (up to 90 s each on a loaded machine) and waits on state.
jest.setTimeout(240_000);

/** Two real server processes (with the test job kinds) on the shared Redis; one is killed mid-job. */
describe('Platform jobs when an instance dies mid-job (e2e, Redis backend)', () => {
  const prefix = `fennec-test:${randomUUID()}:`;
  let dataDir: string;
  const instances: SpawnedApp[] = [];

  async function startInstance(): Promise<SpawnedApp> {
    const inst = await spawnApp(
      {
        LOG_LEVEL: 'warn',
        DATA_DIR: mkdtempSync(join(dataDir, 'i-')),
        HEALTH_DRAIN_DELAY_MS: '0',
        REDIS_URL,
        STATE_KEY_PREFIX: prefix,
        JOBS_REDIS_LOCK_MS: '2000',
        ...testAuthEnv(),
      },
      'test/fixtures/jobs/jobs-app.main.ts',
    );
    instances.push(inst);
    await waitReady(inst, 90_000);
    return inst;
  }

  const api = (inst: SpawnedApp, method: string, path: string, body?: unknown) =>
    fetch(inst.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const get = async (inst: SpawnedApp, id: string) => (await (await api(inst, 'GET', `/jobs/${id}`)).json()) as Job;
  const waitFor = (inst: SpawnedApp, id: string, state: string) =>
    eventually(
      async () => {
        const j = await get(inst, id);
        return j.state === state ? j : undefined;
      },
      { timeoutMs: 30_000, what: `job ${id} ${state}` },
    );

  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'fennec-jobs-redis-kill-'))));
  afterAll(async () => {
    for (const i of instances) {
      if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
      await i.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    // Only this run's keys (unique prefix); the shared Redis is never flushed.
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  });

  it('should run an idempotent job again on another instance and fail a non-idempotent one', async () => {
    const a = await startInstance();
    const safe = (
      (await (await api(a, 'POST', '/test-jobs/test.slow-idempotent', { ms: 60_000, thenMs: 1 })).json()) as Job
    ).id;
    const unsafe = ((await (await api(a, 'POST', '/test-jobs/test.slow', { ms: 60_000 })).json()) as Job).id;
    const ranOn = (await waitFor(a, safe, 'running')).runningOn;
    await waitFor(a, unsafe, 'running');
    expect(ranOn).toContain(`:${a.child.pid}:`);

    const b = await startInstance();
    a.child.kill('SIGKILL');
    await a.exited;

    const rerun = await waitFor(b, safe, 'succeeded');
    expect(rerun.result).toMatchObject({ attempt: 2 });
    expect(rerun.runningOn).toContain(`:${b.child.pid}:`);
    const failed = await waitFor(b, unsafe, 'failed');
    expect(failed.problem?.code).toBe('JOBS.INTERRUPTED');
  });
});
