import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisProcess } from '../src/platform/state/redis-process.testing';
import { type BuiltInstance, ensureBuilt, startBuiltInstance } from './support/built-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

jest.setTimeout(90_000);

const ADMIN = bearer(TEST_AUTH.admin);
const COMMAND_TIMEOUT_MS = 300;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

async function call(
  instance: BuiltInstance,
  method: string,
  path: string,
  body?: unknown,
  headers = {},
): Promise<Answer> {
  const res = await fetch(instance.baseUrl + path, {
    method,
    headers: { authorization: ADMIN, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : { text } };
}

const flagsOf = (a: Answer) => a.body.values?.flags as Record<string, { enabled: boolean }> | undefined;

/**
 * Two instances on a Redis of the test's own (started, killed, frozen and restarted here), as in
 * production when Redis restarts without persistence or stops answering.
 */
describe('Shared state when Redis loses its data or stops answering (e2e, real processes)', () => {
  let redis: RedisProcess;
  let dataDir: string;
  let a: BuiltInstance;
  let b: BuiltInstance;
  const stateOf = async (i: BuiltInstance) => (await call(i, 'GET', '/services/state')).body.health?.status as string;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-outage-'));
    const [outDir, started] = await Promise.all([ensureBuilt(), RedisProcess.start()]);
    redis = started;
    const prefix = `fennec-e2e:${randomUUID()}:`;
    const env = () => ({
      REDIS_URL: redis.url,
      STATE_KEY_PREFIX: prefix,
      STATE_CONNECT_TIMEOUT_MS: '1000',
      STATE_RECONNECT_MAX_DELAY_MS: '200',
      STATE_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      RUNTIME_CONFIG_RESEED_GRACE_MS: '1000',
      // Adaptive limits on (off by default in e2e): their trust scores are Redis reads too, and
      // pressure can only lower limits, never make a frozen Redis answer sooner.
      THROTTLE_ADAPTIVE: 'true',
      // So long that only the change notice (pub/sub) can bring a change to the other instance here.
      RUNTIME_CONFIG_RESYNC_MS: '600000',
      DATA_DIR: mkdtempSync(join(dataDir, 'instance-')),
    });
    [a, b] = await Promise.all([startBuiltInstance(outDir, env()), startBuiltInstance(outDir, env())]);
  }, 240_000);

  afterAll(async () => {
    redis?.resume();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should answer version 3 with the new values after Redis restarted empty, in force on A at once and on B through pub/sub', async () => {
    const v1 = await call(a, 'PATCH', '/config/flags', { flags: { alpha: { enabled: true } } });
    const v2 = await call(a, 'PATCH', '/config/flags', { flags: { beta: { enabled: true } } });
    expect([v1.status, v1.body.version, v2.status, v2.body.version]).toEqual([200, 1, 200, 2]);
    await eventually(async () => (await call(b, 'GET', '/config/flags')).body.version === 2, { what: 'B at v2' });

    await redis.stop();
    await redis.start();
    await eventually(async () => (await stateOf(a)) === 'UP' && (await stateOf(b)) === 'UP', {
      timeoutMs: 10_000,
      what: 'both reconnected',
    });

    // Writes may be refused for a moment while the instances put their versions back.
    const refused: Answer[] = [];
    const patched = await eventually(
      async () => {
        const answer = await call(a, 'PATCH', '/config/flags', { flags: { gamma: { enabled: true } } });
        if (answer.status !== 503) return answer;
        refused.push(answer);
        return undefined;
      },
      { timeoutMs: 10_000, what: 'the write accepted' },
    );
    for (const r of refused) {
      expect(['CONFIG.STORE_RECOVERING', 'STATE.UNAVAILABLE']).toContain(r.body.code);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(3);
    expect(patched.headers.get('etag')).toBe('"3"');
    expect(flagsOf(patched)).toMatchObject({
      alpha: { enabled: true },
      beta: { enabled: true },
      gamma: { enabled: true },
    });

    // In force on A before the 200 was sent.
    const onA = await call(a, 'GET', '/config/flags');
    expect(onA.body.version).toBe(3);
    expect(flagsOf(onA)?.gamma).toEqual({ enabled: true });
    // On B through the change notice: the resync is 10 minutes away here.
    const onB = await eventually(
      async () => {
        const seen = await call(b, 'GET', '/config/flags');
        return seen.body.version === 3 && seen;
      },
      { timeoutMs: 5000, what: 'B at v3' },
    );
    expect(flagsOf(onB)).toMatchObject({ alpha: { enabled: true }, beta: { enabled: true }, gamma: { enabled: true } });

    // ETags stay monotonic: the version before the loss is stale, and history goes on from it.
    const stale = await call(b, 'PATCH', '/config/flags', { flags: {} }, { 'if-match': '"2"' });
    expect(stale.status).toBe(409);
    const history = await call(a, 'GET', '/config/flags/history');
    expect(history.body.entries.map((e: { version: number }) => e.version)).toEqual([3, 2]);
    expect(a.alive() && b.alive()).toBe(true);
  });

  it('should answer at once while Redis stops answering: rate limits fail open, config writes 503, flags served, health DEGRADED', async () => {
    const before = await call(a, 'GET', '/config/flags');
    expect(before.headers.get('x-ratelimit-limit-burst')).not.toBeNull();

    redis.pause();
    try {
      // Ten requests that each need Redis (rate limits, trust): bounded by one deadline, not ten.
      const started = Date.now();
      for (let i = 0; i < 10; i++) {
        const flags = await call(a, 'GET', '/config/flags');
        expect(flags.status).toBe(200);
        expect(flags.body.version).toBe(3);
      }
      expect(Date.now() - started).toBeLessThan(3000);
      const unchecked = await call(a, 'GET', '/config/flags');
      expect(unchecked.headers.get('x-ratelimit-limit-burst')).toBeNull();

      const events = await call(a, 'GET', '/security/events');
      expect([events.status, events.body.code]).toEqual([503, 'STATE.UNAVAILABLE']);
      const write = await call(a, 'PATCH', '/config/flags', { flags: { delta: { enabled: true } } });
      expect(write.status).toBe(503);
      expect(write.body.code).toBe('STATE.UNAVAILABLE');
      expect(write.headers.get('retry-after')).toBe('1');

      const health = await eventually(
        async () => {
          const h = await call(a, 'GET', '/health');
          return h.body.services?.state?.status === 'DOWN' && h;
        },
        { what: 'state DOWN in /health' },
      );
      expect(health.body.status).toBe('DEGRADED');
      expect((await fetch(`${a.baseUrl}/health/live`)).status).toBe(200);
      expect((await fetch(`${a.baseUrl}/health/ready`)).status).toBe(200);
      const metrics = await (await fetch(`${a.baseUrl}/metrics`, { headers: { authorization: ADMIN } })).text();
      expect(metrics).toMatch(/fennec_state_unavailable_total\{feature="rate_limit",outcome="open"\} [1-9]/);
    } finally {
      redis.resume();
    }

    // Nothing was lost: once Redis answers, writes go on from version 3 without a pause.
    const patched = await eventually(
      async () => {
        const answer = await call(a, 'PATCH', '/config/flags', { flags: { delta: { enabled: true } } });
        return answer.status === 200 && answer;
      },
      { timeoutMs: 10_000, what: 'a write after Redis answers again' },
    );
    expect(patched.body.version).toBe(4);
    await eventually(async () => (await call(b, 'GET', '/config/flags')).body.version === 4, { what: 'B at v4' });
    expect(a.alive() && b.alive()).toBe(true);
  });

  it('should go on from the version held when Redis is flushed behind its back, without a reconnect', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.flushall();
    } finally {
      admin.disconnect();
    }
    const patched = await call(b, 'PATCH', '/config/flags', { flags: { epsilon: { enabled: true } } });
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(5);
    expect(flagsOf(patched)).toMatchObject({
      alpha: { enabled: true },
      delta: { enabled: true },
      epsilon: { enabled: true },
    });
    await eventually(async () => flagsOf(await call(a, 'GET', '/config/flags'))?.epsilon?.enabled === true, {
      what: 'A sees the change',
    });
    const history = await call(a, 'GET', '/config/flags/history');
    expect(history.body.entries.map((e: { version: number }) => e.version)).toEqual([5, 4]);
  });
});
