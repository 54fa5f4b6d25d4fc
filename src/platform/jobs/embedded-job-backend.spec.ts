import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedJobBackend } from './embedded-job-backend';
import type { JobBackendHost } from './job-backend';
import { describeJobBackendContract } from './job-backend.contract';
import { toJobKindDefinition } from './job-kind-registry';
import type { JobKindDefinition } from './job.types';

describeJobBackendContract(EmbeddedJobBackend.name, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fennec-jobs-'));
  return {
    backend: new EmbeddedJobBackend({ file: join(dir, 'jobs.sqlite') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe(EmbeddedJobBackend.name, () => {
  let dir: string;
  const caller = { id: 'k1', kind: 'api-key' as const, roles: ['operator' as const], tenant: 't' };
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'fennec-jobs-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  function hostWith(kinds: JobKindDefinition[]): JobBackendHost {
    return {
      kinds: { get: (n) => kinds.find((k) => k.name === n), list: () => kinds },
      onEvent: () => undefined,
      onAttemptStarted: () => undefined,
      onAttemptEnded: () => undefined,
      runAs: (_c, fn) => fn(),
    };
  }

  it('should hand running jobs back at stop and run them again after a restart, attempt not counted', async () => {
    const file = join(dir, 'jobs.sqlite');
    let calls = 0;
    const hang = toJobKindDefinition(
      { name: 'hang' },
      async (_p, ctx) => {
        calls++;
        if (calls === 1)
          await new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('x'))));
        return 'second time';
      },
      60_000,
    );
    const first = new EmbeddedJobBackend({ file });
    await first.start(hostWith([hang]));
    const { job } = await first.submit({ kind: 'hang', payload: {}, caller });
    await eventually(async () => (await first.get(job.id))?.state === 'running');
    await first.stop(50);
    const second = new EmbeddedJobBackend({ file });
    await second.start(hostWith([hang]));
    await eventually(async () => (await second.get(job.id))?.state === 'succeeded');
    expect(await second.get(job.id)).toMatchObject({ attempts: 1, result: 'second time' });
    await second.stop(0);
  });

  it('should re-queue an idempotent job a crash left running and fail one that is not idempotent', async () => {
    const file = join(dir, 'jobs.sqlite');
    const kinds = [
      toJobKindDefinition({ name: 'safe', idempotent: true }, () => Promise.resolve('ran'), 60_000),
      toJobKindDefinition({ name: 'unsafe' }, () => Promise.resolve('ran'), 60_000),
    ];
    const crashed = new EmbeddedJobBackend({ file });
    await crashed.start(hostWith([]));
    const safe = await crashed.submit({ kind: 'safe', payload: {}, caller });
    const unsafe = await crashed.submit({ kind: 'unsafe', payload: {}, caller });
    await crashed.stop(0);
    // What a kill -9 mid-run leaves behind: records in `running`, no process to finish them.
    const db = new Database(file);
    for (const id of [safe.job.id, unsafe.job.id]) {
      db.prepare(
        "UPDATE jobs SET state = 'running', doc = json_set(doc, '$.state', 'running', '$.attempts', 1) WHERE id = ?",
      ).run(id);
    }
    db.close();
    const restarted = new EmbeddedJobBackend({ file });
    await restarted.start(hostWith(kinds));
    await eventually(async () => (await restarted.get(safe.job.id))?.state === 'succeeded');
    const failed = await restarted.get(unsafe.job.id);
    expect(failed?.state).toBe('failed');
    expect(failed?.problem).toMatchObject({ code: 'JOBS.INTERRUPTED', status: 503 });
    expect(failed?.problem?.detail).toMatch(/not idempotent/);
    await restarted.stop(0);
  });
});

async function eventually(predicate: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
