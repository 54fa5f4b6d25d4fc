import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { spawnApp, waitReady, type SpawnedApp } from './support/spawn-app';
import { TEST_KEYS, testAuthEnv } from './support/test-credentials';

const key = TEST_KEYS.acme.operator;
const admin = TEST_KEYS.acme.admin;
/** The real server with the test job kinds mounted (test/fixtures/jobs/job-fixtures.module.ts). */
const JOBS_APP = 'test/fixtures/jobs/jobs-app.main.ts';

interface Job {
  id: string;
  state: string;
  attempts: number;
  result?: { attempt?: number };
  problem?: { code: string; detail: string };
}

async function startInstance(dataDir: string, env: Record<string, string> = {}): Promise<SpawnedApp> {
  const app = await spawnApp(
    {
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      HEALTH_DRAIN_DELAY_MS: '0',
      THROTTLE_BURST_LIMIT: '100000',
      THROTTLE_SUSTAINED_LIMIT: '1000000',
      REDIS_URL: '',
      ...testAuthEnv(),
      ...env,
    },
    JOBS_APP,
  );
  await waitReady(app, 90_000);
  return app;
}

// Each test boots two real servers (up to 90 s each on a loaded machine, see startInstance) and waits on state.
jest.setTimeout(240_000);

describe('Platform jobs across process death (e2e, embedded backend)', () => {
  let dataDir: string;
  const instances: SpawnedApp[] = [];
  const api = (inst: SpawnedApp, method: string, path: string, body?: unknown, as = key) =>
    fetch(inst.baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${as.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const submit = async (inst: SpawnedApp, kind: string, payload: unknown) => {
    const res = await api(inst, 'POST', `/test-jobs/${kind}`, payload);
    expect(res.status).toBe(202);
    return (await res.json()) as Job;
  };
  const get = async (inst: SpawnedApp, id: string) => (await (await api(inst, 'GET', `/jobs/${id}`)).json()) as Job;
  /** Waits for the job's state; on a timeout, says what it was last and what the instance logged. */
  const waitState = async (inst: SpawnedApp, id: string, state: string) => {
    let last: Job | undefined;
    try {
      return await eventually(
        async () => {
          last = await get(inst, id);
          return last.state === state ? last : undefined;
        },
        { timeoutMs: 60_000, what: `job ${id} ${state}` },
      );
    } catch (err) {
      throw new Error(
        `${(err as Error).message}; last seen: ${JSON.stringify(last)}; instance output:\n${inst.output().slice(-4000)}`,
        { cause: err },
      );
    }
  };

  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'fennec-jobs-kill-'))));
  afterEach(async () => {
    for (const i of instances.splice(0)) {
      if (i.child.exitCode === null && i.child.signalCode === null) {
        i.child.kill('SIGKILL');
        await i.exited;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should keep every acknowledged job through kill -9 and recover running ones by idempotency', async () => {
    const a = await startInstance(dataDir);
    instances.push(a);
    const unsafe = await submit(a, 'test.slow', { ms: 60_000 });
    const safe = await submit(a, 'test.slow-idempotent', { ms: 60_000, thenMs: 1 });
    await waitState(a, unsafe.id, 'running');
    await waitState(a, safe.id, 'running');
    const queuedBehind = await submit(a, 'test.slow', { ms: 1 });
    // The burst waits, paused, so the kill finds every one of its jobs queued. (Run at once, a job
    // of this non-idempotent kind could be caught between its `running` and `succeeded` records:
    // then it is rightly failed with JOBS.INTERRUPTED at the next start, not run again.)
    expect((await api(a, 'POST', '/jobs/kinds/test.echo/pause', undefined, admin)).status).toBe(200);
    const burst: Job[] = [];
    for (let i = 0; i < 20; i++) burst.push(await submit(a, 'test.echo', { i, steps: 0 }));
    a.child.kill('SIGKILL');
    await a.exited;

    const b = await startInstance(dataDir);
    instances.push(b);
    for (const j of burst) expect((await get(b, j.id)).state).toBe('queued');
    expect((await api(b, 'POST', '/jobs/kinds/test.echo/resume', undefined, admin)).status).toBe(200);
    const failed = await waitState(b, unsafe.id, 'failed');
    expect(failed.problem?.code).toBe('JOBS.INTERRUPTED');
    expect(failed.problem?.detail).toMatch(/not idempotent/);
    const rerun = await waitState(b, safe.id, 'succeeded');
    expect(rerun.result).toMatchObject({ attempt: 2 });
    await waitState(b, queuedBehind.id, 'succeeded');
    for (const j of burst) await waitState(b, j.id, 'succeeded');
  });

  it('should hand a running job back on SIGTERM after the drain window and run it on the next start', async () => {
    const a = await startInstance(dataDir, { JOBS_DRAIN_TIMEOUT_MS: '300' });
    instances.push(a);
    const job = await submit(a, 'test.slow', { ms: 60_000 });
    const firstRun = await waitState(a, job.id, 'running');
    a.child.kill('SIGTERM');
    await a.exited;
    expect(a.child.exitCode).toBe(0);

    const b = await startInstance(dataDir);
    instances.push(b);
    // Handed back, not failed: it runs again, and the interrupted attempt is not counted.
    const again = await eventually(
      async () => {
        const j = (await get(b, job.id)) as Job & { startedAt: string };
        return j.state === 'running' && j.startedAt !== (firstRun as Job & { startedAt: string }).startedAt
          ? j
          : undefined;
      },
      { timeoutMs: 20_000, what: 'job running again' },
    );
    expect(again.attempts).toBe(1);
    const reader = (await api(b, 'GET', `/jobs/${job.id}/events`)).body!.getReader();
    let text = '';
    while ((text.match(/"state":/g) ?? []).length < 4) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    await reader.cancel();
    expect(text.match(/"state":"(\w+)"/g)).toEqual([
      '"state":"queued"',
      '"state":"running"',
      '"state":"queued"',
      '"state":"running"',
    ]);
  });
});
