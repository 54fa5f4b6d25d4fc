import { UpstreamPool } from '../src/platform/upstream/upstream-pool';
import {
  UpstreamBadResponseError,
  UpstreamCallAbortedError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../src/platform/upstream/upstream.errors';
import type { UpstreamPoolOptions } from '../src/platform/upstream/upstream.types';
import { LoopbackUpstream } from './fixtures/loopback-upstream';
import { eventually } from './support/eventually';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('UpstreamPool against loopback servers (e2e)', () => {
  let servers: LoopbackUpstream[];
  let pool: UpstreamPool;

  beforeEach(async () => {
    servers = await Promise.all(['a', 'b', 'c'].map((n) => LoopbackUpstream.start(n)));
  });
  afterEach(async () => {
    await pool?.close();
    await Promise.all(servers.map((s) => s.kill()));
  });

  function makePool(extra: Partial<UpstreamPoolOptions> = {}): UpstreamPool {
    pool = new UpstreamPool('test', {
      instances: servers.map((s) => ({ url: s.url, id: s.name })),
      retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 3, deadlineMs: 2_000 },
      ...extra,
    });
    return pool;
  }

  it('should keep idempotent calls error-free when one of three dies under load, open its breaker, move traffic, and reuse it when back', async () => {
    makePool({
      strategy: 'round-robin',
      breaker: { windowSize: 10, minimumCalls: 4, failureRateThreshold: 0.5, openWaitMs: 400 },
      // Outlier ejection would hide the breaker here; it has its own test.
      outlier: { consecutiveFailures: 1_000 },
    });
    const byInstance = new Map<string, number>();
    const errors: unknown[] = [];
    let phase = 'before';
    const counts: Record<string, Map<string, number>> = {};
    let running = true;
    const worker = async () => {
      while (running) {
        try {
          const res = await pool.request({ path: '/hello' });
          await res.json();
          byInstance.set(res.instance, (byInstance.get(res.instance) ?? 0) + 1);
          (counts[phase] ??= new Map()).set(res.instance, (counts[phase].get(res.instance) ?? 0) + 1);
        } catch (err) {
          errors.push(err);
        }
      }
    };
    const workers = Array.from({ length: 6 }, worker);

    const breakerOfB = () => pool.snapshot().instances.find((i) => i.id === 'b')?.breaker;
    try {
      await sleep(150);
      phase = 'killed';
      await servers[1].kill();
      // Polled, not slept: on a loaded machine the workers need longer for the breaker's minimum calls.
      await eventually(() => breakerOfB() === 'open', { timeoutMs: 3_000, what: "b's breaker opening" });
      expect(breakerOfB()).toBe('open');
      phase = 'open';
      await sleep(150);
      phase = 'revived';
      await servers[1].revive();
      await sleep(700);
      await eventually(() => counts.revived?.get('b') && breakerOfB() === 'closed', {
        timeoutMs: 5_000,
        what: 'b serving again with its breaker closed',
      });
    } finally {
      // Stopped whatever happened above, so a failed wait cannot leave the workers running.
      running = false;
      await Promise.all(workers);
    }

    expect(errors).toEqual([]);
    expect(counts.before.get('b')).toBeGreaterThan(0);
    expect(counts.open?.get('b') ?? 0).toBe(0);
    expect(counts.open.get('a')).toBeGreaterThan(0);
    expect(counts.open.get('c')).toBeGreaterThan(0);
    expect(counts.revived.get('b')).toBeGreaterThan(0);
    expect(pool.snapshot().instances.find((i) => i.id === 'b')?.breaker).toBe('closed');
  });

  it('should forward x-request-id and stream NDJSON as it arrives', async () => {
    makePool({ instances: [{ url: servers[0].url, id: 'a' }] });
    const res = await pool.request({ path: '/ndjson?n=4&gapMs=5', requestId: 'rid-123' });
    const items: { i: number }[] = [];
    for await (const item of res.ndjson<{ i: number }>()) items.push(item);
    expect(items.map((x) => x.i)).toEqual([0, 1, 2, 3]);
    expect(servers[0].seenRequestIds).toEqual(['rid-123']);
    expect(pool.snapshot().instances[0].outstanding).toBe(0);
  });

  it('should never retry a non-idempotent call that reached an instance', async () => {
    for (const s of servers) s.mode = 'error';
    makePool();
    await expect(pool.request({ method: 'POST', path: '/hello', body: { x: 1 } })).rejects.toBeInstanceOf(
      UpstreamBadResponseError,
    );
    expect(servers.reduce((n, s) => n + s.hits, 0)).toBe(1);
  });

  it('should fail a non-idempotent call over when the instance refused the connection', async () => {
    await servers[0].kill();
    makePool({ strategy: 'round-robin' });
    const res = await pool.request({ method: 'POST', path: '/hello', body: 'x' });
    expect(res.instance).toBe('b');
    await res.text();
  });

  it('should retry idempotent 5xx answers on another instance', async () => {
    servers[0].mode = 'error';
    makePool({ strategy: 'round-robin' });
    const res = await pool.request({ path: '/hello' });
    expect(res.instance).not.toBe('a');
    expect(res.attempts).toBe(2);
    await res.text();
  });

  it('should answer UPSTREAM.TIMEOUT when no first byte arrives in time, without leaking the URL', async () => {
    for (const s of servers) s.mode = 'hang';
    makePool({ retry: { maxAttempts: 1 }, timeouts: { firstByteMs: 100 } });
    const err = await pool.request({ path: '/hello' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamTimeoutError);
    expect((err as UpstreamTimeoutError).phase).toBe('first_byte');
    expect((err as Error).message).not.toContain('127.0.0.1');
  });

  it('should abort the upstream call at once when the caller aborts', async () => {
    servers[0].mode = 'hang';
    makePool({ instances: [{ url: servers[0].url, id: 'a' }] });
    const ac = new AbortController();
    const pending = pool.request({ path: '/hello', signal: ac.signal });
    await sleep(50);
    ac.abort();
    await expect(pending).rejects.toBeInstanceOf(UpstreamCallAbortedError);
    const snap = pool.snapshot().instances[0];
    expect(snap.outstanding).toBe(0);
    expect(snap.windowCalls).toBe(0);
    expect(snap.consecutiveFailures).toBe(0);
  });

  it('should abort a streamed body when the caller aborts mid-stream and free the slot', async () => {
    makePool({ instances: [{ url: servers[0].url, id: 'a' }] });
    const ac = new AbortController();
    const res = await pool.request({ path: '/ndjson?n=1000&gapMs=5', signal: ac.signal });
    const seen: number[] = [];
    const reading = (async () => {
      for await (const x of res.ndjson<{ i: number }>()) {
        seen.push(x.i);
        if (seen.length === 3) ac.abort();
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(UpstreamCallAbortedError);
    expect(pool.snapshot().instances[0].outstanding).toBe(0);
  });

  it('should answer UPSTREAM.UNAVAILABLE with a retry hint when every instance is down', async () => {
    await Promise.all(servers.map((s) => s.kill()));
    makePool();
    const err = await pool.request({ path: '/hello' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamUnavailableError);
    expect((err as UpstreamUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect((err as Error).message).not.toContain('127.0.0.1');
  });

  it('should eject an instance after consecutive failures, never more than the max share', async () => {
    servers[0].mode = 'error';
    servers[1].mode = 'error';
    makePool({
      strategy: 'round-robin',
      retry: { maxAttempts: 1 },
      breaker: { minimumCalls: 1_000 },
      outlier: { consecutiveFailures: 2, baseEjectionMs: 60_000, maxEjectionShare: 0.34 },
    });
    for (let i = 0; i < 12; i++) {
      await pool
        .request({ path: '/hello' })
        .then((r) => r.text())
        .catch(() => undefined);
    }
    const ejected = pool.snapshot().instances.filter((i) => i.ejected);
    expect(ejected).toHaveLength(1);
    expect(['a', 'b']).toContain(ejected[0].id);
  });

  it('should reject calls beyond the per-instance bulkhead', async () => {
    servers[0].mode = 'hang';
    makePool({ instances: [{ url: servers[0].url, id: 'a' }], maxConcurrentPerInstance: 2 });
    const ac = new AbortController();
    const hung = [1, 2].map(() => pool.request({ path: '/hello', signal: ac.signal }).catch((e: unknown) => e));
    await eventually(() => pool.snapshot().instances[0].outstanding === 2, { what: 'two calls in flight' });
    await expect(pool.request({ path: '/hello' })).rejects.toBeInstanceOf(UpstreamUnavailableError);
    ac.abort();
    await Promise.all(hung);
  });

  it('should add and remove instances at runtime', async () => {
    makePool({ instances: [{ url: servers[0].url, id: 'a' }], strategy: 'round-robin' });
    pool.addInstance({ url: servers[2].url, id: 'c' });
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await pool.request({ path: '/hello' });
      seen.add(r.instance);
      await r.text();
    }
    expect([...seen].sort()).toEqual(['a', 'c']);
    expect(pool.removeInstance('a')).toBe(true);
    const r = await pool.request({ path: '/hello' });
    expect(r.instance).toBe('c');
    await r.text();
    expect(pool.instanceIds).toEqual(['c']);
  });

  it('should let the loopback fixture refuse connections while killed', async () => {
    await servers[0].kill();
    const err = await fetch(`${servers[0].url}/hello`).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TypeError');
    await servers[0].revive();
    const res = await fetch(`${servers[0].url}/hello`);
    expect(res.status).toBe(200);
    await res.text();
  });
});
