import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisProcess } from '../src/platform/state/redis-process.testing';
import { RedisStateStore } from '../src/platform/state/redis-state-store';
import { type BuiltInstance, ensureBuilt, startBuiltInstance } from './support/built-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

jest.setTimeout(60_000);

const ADMIN = bearer(TEST_AUTH.admin);
/** The real Redis of the test machines (CI starts it); never mocked, never skipped. */
const SHARED_REDIS = 'redis://127.0.0.1:6379';

interface Json {
  status: number;
  body: Record<string, any>;
}

async function call(
  instance: BuiltInstance,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Json> {
  const res = await fetch(instance.baseUrl + path, {
    method,
    headers: { authorization: ADMIN, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls until `check` holds; returns how long it took. Fails after `timeoutMs`. */
async function within(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe('Several instances sharing Redis (e2e)', () => {
  let outDir: string;
  let dataDir: string;
  const instances: BuiltInstance[] = [];

  const start = async (redisUrl: string, prefix: string) => {
    const instance = await startBuiltInstance(outDir, {
      REDIS_URL: redisUrl,
      STATE_KEY_PREFIX: prefix,
      STATE_CONNECT_TIMEOUT_MS: '1000',
      STATE_RECONNECT_MAX_DELAY_MS: '200',
      DATA_DIR: mkdtempSync(join(dataDir, 'instance-')),
    });
    instances.push(instance);
    return instance;
  };

  beforeAll(async () => {
    Logger.overrideLogger(false);
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-multi-'));
    outDir = await ensureBuilt();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('on the shared Redis', () => {
    const prefix = `fennec-e2e:${randomUUID()}:`;
    let a: BuiltInstance;
    let b: BuiltInstance;

    beforeAll(async () => {
      [a, b] = await Promise.all([start(SHARED_REDIS, prefix), start(SHARED_REDIS, prefix)]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      const store = new RedisStateStore({
        url: SHARED_REDIS,
        keyPrefix: prefix,
        connectTimeoutMs: 1000,
        commandTimeoutMs: 1000,
        reconnectMaxDelayMs: 200,
      });
      if (await store.waitUntilReady(3000)) await store.deleteByPrefix('');
      await store.close();
    });

    it('should make a change on A visible on B within a second', async () => {
      const patched = await call(a, 'PATCH', '/config/flags', {
        flags: { 'multi-instance': { enabled: true, rolloutPercent: 50 } },
      });
      expect(patched.status).toBe(200);
      const version = patched.body.version as number;
      expect(version).toBe(1);
      await within(1000, 'B sees the change', async () => {
        const seen = await call(b, 'GET', '/config/flags');
        return seen.body.version === version && seen.body.values.flags['multi-instance']?.rolloutPercent === 50;
      });
      const list = await call(b, 'GET', '/config');
      expect(list.body.store).toEqual({ backend: 'redis', status: 'UP' });
    });

    it('should make a rollback on B visible on A within a second, and refuse a stale If-Match on A', async () => {
      const rolled = await call(b, 'POST', '/config/flags/rollback', { version: 0 });
      expect(rolled.status).toBe(200);
      expect(rolled.body.version).toBe(2);
      await within(1000, 'A sees the rollback', async () => {
        const seen = await call(a, 'GET', '/config/flags');
        return seen.body.version === 2 && seen.body.values.flags['multi-instance'] === undefined;
      });
      const stale = await call(a, 'PATCH', '/config/flags', { flags: {} }, { 'if-match': '"1"' });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('CONFIG.VERSION_CONFLICT');
      const history = await call(a, 'GET', '/config/flags/history');
      expect(history.body.entries.map((e: { version: number }) => e.version)).toEqual([2, 1]);
    });
  });

  describe('when Redis goes away and comes back', () => {
    let redis: RedisProcess;
    let a: BuiltInstance;
    let b: BuiltInstance;
    let prefix: string;
    const stateOf = async (i: BuiltInstance) => (await call(i, 'GET', '/services/state')).body.health?.status as string;

    beforeAll(async () => {
      redis = await RedisProcess.start();
      prefix = `fennec-e2e:${randomUUID()}:`;
      [a, b] = await Promise.all([start(redis.url, prefix), start(redis.url, prefix)]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await redis?.stop();
    });

    it('should report state DOWN on both without crashing, fail writes fast, and recover by itself', async () => {
      expect(await stateOf(a)).toBe('UP');
      expect(await stateOf(b)).toBe('UP');

      await redis.stop();
      await within(
        5000,
        'both report state DOWN',
        async () => (await stateOf(a)) === 'DOWN' && (await stateOf(b)) === 'DOWN',
      );
      expect((await call(a, 'GET', '/config')).body.store).toEqual({ backend: 'redis', status: 'DOWN' });
      const write = await call(a, 'PATCH', '/config/flags', { flags: { x: { enabled: true } } });
      expect(write.status).toBe(503);
      expect(write.body.code).toBe('STATE.UNAVAILABLE');
      for (const i of [a, b]) {
        expect(i.alive()).toBe(true);
        expect((await fetch(`${i.baseUrl}/health/live`)).status).toBe(200);
      }

      // An instance booting while Redis is down still boots (DEGRADED, not stuck or crashed).
      const c = await start(redis.url, prefix);
      expect(await stateOf(c)).toBe('DOWN');

      await redis.start();
      await within(10_000, 'all report state UP', async () =>
        (await Promise.all([a, b, c].map(stateOf))).every((s) => s === 'UP'),
      );
      // Pub/sub is back too: a change on B reaches A within a second again. Redis came back empty,
      // so writes wait until the instances have put their versions back (503 CONFIG.STORE_RECOVERING).
      let patched: Json = { status: 0, body: {} };
      await within(10_000, 'B accepts writes again', async () => {
        patched = await call(b, 'PATCH', '/config/flags', { flags: { recovered: { enabled: true } } });
        return patched.status !== 503;
      });
      expect(patched.status).toBe(200);
      await within(1000, 'A sees the change after recovery', async () => {
        const seen = await call(a, 'GET', '/config/flags');
        return seen.body.values.flags.recovered?.enabled === true;
      });
      // The instance that booted without Redis subscribes and catches up as well.
      await within(6000, 'C sees the change', async () => {
        const seen = await call(c, 'GET', '/config/flags');
        return seen.body.values.flags.recovered?.enabled === true;
      });
      expect(a.alive() && b.alive() && c.alive()).toBe(true);
    });
  });
});
