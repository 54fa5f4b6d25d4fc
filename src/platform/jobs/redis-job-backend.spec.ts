import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import type { JobBackendHost, JobEventRoute } from './job-backend';
import { describeJobBackendContract } from './job-backend.contract';
import { toJobKindDefinition } from './job-kind-registry';
import type { JobEvent, JobKindDefinition } from './job.types';
import { RedisJobBackend } from './redis-job-backend';

/** The real Redis the test machines run; these tests never skip (CI starts redis-server). */
const REDIS_URL = 'redis://127.0.0.1:6379';

describeJobBackendContract(RedisJobBackend.name, () => {
  const keyPrefix = `fennec-test:${randomUUID()}:`;
  return Promise.resolve({
    backend: new RedisJobBackend({ url: REDIS_URL, keyPrefix }),
    cleanup: async () => {
      // Only this run's keys (unique prefix); the shared Redis is never flushed.
      const redis = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  });
});

describe('RedisJobBackend: events between instances', () => {
  const keyPrefix = `fennec-test:${randomUUID()}:`;
  const alice = { id: 'alice', kind: 'api-key' as const, roles: ['operator' as const], tenant: 'tenant-a' };
  const bob = { id: 'bob', kind: 'api-key' as const, roles: ['operator' as const], tenant: 'tenant-b' };
  const kind = toJobKindDefinition(
    { name: 'watch.echo', concurrency: 4 },
    async (payload, ctx) => {
      ctx.progress({ value: 1, max: 1, message: String((payload as { n: number }).n) });
      return Promise.resolve(null);
    },
    60_000,
  );
  /** What reached the watching instance from the other one, and through which watch. */
  const received: { event: JobEvent; route: JobEventRoute }[] = [];
  let watcher: RedisJobBackend;
  let runner: RedisJobBackend;

  beforeAll(async () => {
    const host = (kinds: JobKindDefinition[], onEvent: JobBackendHost['onEvent']): JobBackendHost => ({
      kinds: { get: (n) => kinds.find((k) => k.name === n), list: () => kinds },
      onEvent,
      onAttemptStarted: () => undefined,
      onAttemptEnded: () => undefined,
      runAs: (_c, fn) => fn(),
    });
    // The watcher runs no kind: every event it gets comes from the runner over Redis.
    watcher = new RedisJobBackend({ url: REDIS_URL, keyPrefix });
    await watcher.start(host([], (event, route) => received.push({ event, route })));
    runner = new RedisJobBackend({ url: REDIS_URL, keyPrefix });
    await runner.start(host([kind], () => undefined));
  });
  afterAll(async () => {
    await runner?.stop(1_000);
    await watcher?.stop(1_000);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const run = async (caller: typeof alice, n: number) => {
    const { job } = await runner.submit({ kind: 'watch.echo', payload: { n }, caller });
    return job.id;
  };
  const arrived = (id: string, type: string) =>
    new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (received.some((r) => r.event.jobId === id && r.event.type === type && (type !== 'state' || ended(r.event))))
          resolve(clearInterval(check));
      }, 5);
    });
  const ended = (e: JobEvent) => (e.data as { state?: string }).state === 'succeeded';
  const routesOf = (id: string) => received.filter((r) => r.event.jobId === id).map((r) => r.route);

  it('should deliver another instance’s events only for what this one watches, each through its watch', async () => {
    // Not watched: nothing of it reaches the watcher (shown once a later, watched job's events arrive:
    // one connection delivers in publish order).
    const unwatched = await run(alice, 0);
    await eventuallyState(runner, unwatched, 'succeeded');

    const unwatchTenant = await watcher.watch({ tenant: 'tenant-a' });
    const mine = await run(alice, 1);
    const theirs = await run(bob, 2);
    await arrived(mine, 'state');
    await eventuallyState(runner, theirs, 'succeeded');
    unwatchTenant();

    const unwatchAll = await watcher.watch({ allTenants: true });
    const anyTenant = await run(bob, 3);
    await arrived(anyTenant, 'state');
    unwatchAll();

    // One job: its id is known once it is submitted, so its first events may go out before the watch.
    const later = await run(alice, 4);
    const unwatchJob = await watcher.watch({ job: later });
    await arrived(later, 'state');
    unwatchJob();

    expect(routesOf(unwatched)).toEqual([]);
    expect(routesOf(theirs)).toEqual([]);
    // queued, running, progress, succeeded: each once, through the watch that asked for it.
    expect(routesOf(mine)).toEqual(Array(4).fill({ tenant: 'tenant-a' }));
    expect(received.filter((r) => r.event.jobId === mine).map((r) => r.event.seq)).toEqual([1, 2, 3, 4]);
    expect(routesOf(anyTenant)).toEqual(Array(4).fill({ allTenants: true }));
    expect(routesOf(later).length).toBeGreaterThan(0);
    expect(routesOf(later).every((r) => r !== undefined && 'job' in r && r.job === later)).toBe(true);
  });

  describe('idempotency keys between instances', () => {
    const submitWithKey = (backend: RedisJobBackend, key: string) =>
      backend.submit({ kind: 'watch.echo', payload: { n: 9 }, caller: alice, idempotencyKey: key });
    const idemKey = (key: string) => `${keyPrefix}jobs:idem:${alice.tenant}:${key}`;
    let redis: Redis;
    beforeAll(() => {
      redis = new Redis(REDIS_URL);
    });
    afterAll(() => redis.quit());

    it('should make one job of the same key submitted on two instances at once, and keep the key', async () => {
      for (let i = 0; i < 20; i++) {
        const key = `both-${i}`;
        const [a, b] = await Promise.all([submitWithKey(runner, key), submitWithKey(watcher, key)]);
        expect(a.job.id).toBe(b.job.id);
        expect([a.created, b.created].sort()).toEqual([false, true]);
      }
      expect(await redis.pttl(idemKey('both-0'))).toBe(-1);
    });

    it('should wait for a submission in flight elsewhere instead of starting a second job', async () => {
      // Another submission has claimed the key and not written its record yet.
      await redis.set(idemKey('in-flight'), randomUUID(), 'PX', 60_000);
      // The runner looks the claimed job up (no record yet) once it has found the key taken.
      let lookedUp!: () => void;
      const lookup = new Promise<void>((resolve) => (lookedUp = resolve));
      const get = jest.spyOn(runner, 'get').mockImplementation(function (this: RedisJobBackend, id) {
        lookedUp();
        return RedisJobBackend.prototype.get.call(this, id);
      });
      const waiting = submitWithKey(runner, 'in-flight');
      await lookup;
      // That submitter gives up; the next one to claim the key writes its job.
      await redis.del(idemKey('in-flight'));
      const first = await submitWithKey(watcher, 'in-flight');
      expect(first.created).toBe(true);
      await expect(waiting).resolves.toMatchObject({ created: false, job: { id: first.job.id } });
      get.mockRestore();
    });

    it('should take over a key whose claim expired without a record', async () => {
      await redis.set(idemKey('died'), randomUUID(), 'PX', 150);
      const submitted = await submitWithKey(runner, 'died');
      expect(submitted.created).toBe(true);
      expect(await redis.get(idemKey('died'))).toBe(submitted.job.id);
    });
  });
});

async function eventuallyState(backend: RedisJobBackend, id: string, state: string): Promise<void> {
  while ((await backend.get(id))?.state !== state) await new Promise((r) => setTimeout(r, 5));
}
