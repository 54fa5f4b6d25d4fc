import { cp, mkdtemp, rm } from 'node:fs/promises';
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
    backend: new EmbeddedJobBackend({ dir: join(dir, 'jobs') }),
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
    const store = join(dir, 'jobs');
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
    const first = new EmbeddedJobBackend({ dir: store });
    await first.start(hostWith([hang]));
    const { job } = await first.submit({ kind: 'hang', payload: {}, caller });
    await eventually(async () => (await first.get(job.id))?.state === 'running');
    await first.stop(50);
    const second = new EmbeddedJobBackend({ dir: store });
    await second.start(hostWith([hang]));
    await eventually(async () => (await second.get(job.id))?.state === 'succeeded');
    expect(await second.get(job.id)).toMatchObject({ attempts: 1, result: 'second time' });
    await second.stop(0);
  });

  it('should push progress to followers in the same tick as the report, and keep it across a restart', async () => {
    const store = join(dir, 'jobs');
    let report: ((value: number) => void) | undefined;
    let release: (() => void) | undefined;
    const stepper = toJobKindDefinition(
      { name: 'stepper' },
      (_p, ctx) =>
        new Promise<string>((resolve) => {
          report = (value) => ctx.progress({ value, max: 3 });
          release = () => resolve('done');
        }),
      60_000,
    );
    const seen: number[] = [];
    const host = hostWith([stepper]);
    const backend = new EmbeddedJobBackend({ dir: store });
    await backend.start({
      ...host,
      onEvent: (e) => {
        if (e.type === 'progress') seen.push((e.data as { value: number }).value);
      },
    });
    const { job } = await backend.submit({ kind: 'stepper', payload: {}, caller });
    await eventually(async () => report !== undefined && (await backend.get(job.id))?.state === 'running');
    report!(1);
    expect(seen).toEqual([1]); // no await in between: not queued behind an fsync
    report!(2);
    expect(seen).toEqual([1, 2]);
    release!();
    await eventually(async () => (await backend.get(job.id))?.state === 'succeeded');
    await backend.stop(0);
    const again = new EmbeddedJobBackend({ dir: store });
    await again.start(hostWith([stepper]));
    expect((await again.get(job.id))?.progress).toMatchObject({ value: 2, max: 3 });
    expect((await again.events(job.id, 0)).filter((e) => e.type === 'progress')).toHaveLength(2);
    await again.stop(0);
  });

  it('should re-queue an idempotent job a crash left running and fail one that is not idempotent', async () => {
    const store = join(dir, 'jobs');
    const hang = (name: string, idempotent: boolean) =>
      toJobKindDefinition(
        { name, idempotent },
        (_p, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('x')))),
        60_000,
      );
    const crashed = new EmbeddedJobBackend({ dir: store });
    await crashed.start(hostWith([hang('safe', true), hang('unsafe', false)]));
    const safe = await crashed.submit({ kind: 'safe', payload: {}, caller });
    const unsafe = await crashed.submit({ kind: 'unsafe', payload: {}, caller });
    await eventually(async () => (await crashed.get(safe.job.id))?.state === 'running');
    await eventually(async () => (await crashed.get(unsafe.job.id))?.state === 'running');
    // What a kill -9 mid-run leaves behind: the files as they are now, both jobs `running`.
    const copy = join(dir, 'after-crash');
    await cp(store, copy, { recursive: true });
    await crashed.stop(0);
    const kinds = [
      toJobKindDefinition({ name: 'safe', idempotent: true }, () => Promise.resolve('ran'), 60_000),
      toJobKindDefinition({ name: 'unsafe' }, () => Promise.resolve('ran'), 60_000),
    ];
    const restarted = new EmbeddedJobBackend({ dir: copy });
    await restarted.start(hostWith(kinds));
    await eventually(async () => (await restarted.get(safe.job.id))?.state === 'succeeded');
    const failed = await restarted.get(unsafe.job.id);
    expect(failed?.state).toBe('failed');
    expect(failed?.problem).toMatchObject({ code: 'JOBS.INTERRUPTED', status: 503 });
    expect(failed?.problem?.detail).toMatch(/not idempotent/);
    await restarted.stop(0);
  });

  it('should restore jobs, events, paused kinds and idempotency keys from snapshot and log, without purged jobs', async () => {
    const store = join(dir, 'jobs');
    const echo = toJobKindDefinition(
      { name: 'echo' },
      (p, ctx) => {
        ctx.progress({ value: 1, max: 2, stage: 'half' });
        return Promise.resolve(p);
      },
      60_000,
    );
    const held = toJobKindDefinition({ name: 'held' }, () => Promise.resolve('ran'), 60_000);
    // snapshotEvery 3: compactions happen along the way, so recovery reads a snapshot and a log.
    const first = new EmbeddedJobBackend({ dir: store, snapshotEvery: 3 });
    await first.start(hostWith([echo, held]));
    await first.setPaused('held', true);
    const done = await first.submit({ kind: 'echo', payload: { n: 1 }, caller, idempotencyKey: 'k-1' });
    await eventually(async () => (await first.get(done.job.id))?.state === 'succeeded');
    const purged = await first.submit({ kind: 'echo', payload: { n: 2 }, caller });
    await eventually(async () => (await first.get(purged.job.id))?.state === 'succeeded');
    const waiting = await first.submit({ kind: 'held', payload: null, caller });
    expect(await first.purgeFinished((await first.get(purged.job.id))!.finishedAt! + 1)).toBe(2);
    const kept = await first.submit({ kind: 'echo', payload: { n: 3 }, caller, idempotencyKey: 'k-3' });
    await eventually(async () => (await first.get(kept.job.id))?.state === 'succeeded');
    const before = { job: await first.get(kept.job.id), events: await first.events(kept.job.id, 0) };
    await first.stop(0);

    const second = new EmbeddedJobBackend({ dir: store });
    await second.start(hostWith([echo, held]));
    expect(await second.get(done.job.id)).toBeUndefined();
    expect(await second.get(purged.job.id)).toBeUndefined();
    expect(await second.get(kept.job.id)).toEqual(before.job);
    expect(await second.events(kept.job.id, 0)).toEqual(before.events);
    expect((await second.events(kept.job.id, 0)).map((e) => e.type)).toEqual(['state', 'state', 'progress', 'state']);
    expect(await second.pausedKinds()).toEqual(['held']);
    expect((await second.get(waiting.job.id))?.state).toBe('queued');
    const again = await second.submit({ kind: 'echo', payload: { n: 4 }, caller, idempotencyKey: 'k-3' });
    expect(again).toMatchObject({ created: false, job: { id: kept.job.id } });
    const fresh = await second.submit({ kind: 'echo', payload: { n: 5 }, caller, idempotencyKey: 'k-1' });
    expect(fresh.created).toBe(true);
    await second.stop(0);
  });

  it('should create one job for concurrent submissions with the same idempotency key', async () => {
    const backend = new EmbeddedJobBackend({ dir: join(dir, 'jobs') });
    await backend.start(hostWith([]));
    const all = await Promise.all(
      Array.from({ length: 10 }, () => backend.submit({ kind: 'none', payload: {}, caller, idempotencyKey: 'same' })),
    );
    expect(new Set(all.map((r) => r.job.id)).size).toBe(1);
    expect(all.filter((r) => r.created)).toHaveLength(1);
    expect((await backend.list({ limit: 50 })).items).toHaveLength(1);
    await backend.stop(0);
  });
});

async function eventually(predicate: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
