import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamPool } from './upstream-pool';
import { NO_UPSTREAM_METRICS, type UpstreamMetricsSink } from './upstream.metrics';
import type { UpstreamPoolOptions } from './upstream.types';

/** A real server on loopback answering 200 to everything; instances here are ids over it. */
async function startServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A port nobody listens on (taken, then released): connections are refused. */
async function deadUrl(): Promise<string> {
  const { server, url } = await startServer();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return url;
}

describe(UpstreamPool.name, () => {
  let server: Server;
  let url: string;
  let pool: UpstreamPool;
  let panics: number;
  const metrics: UpstreamMetricsSink = { ...NO_UPSTREAM_METRICS, panic: () => void panics++ };

  beforeAll(async () => ({ server, url } = await startServer()));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (panics = 0));
  afterEach(() => pool?.close());

  function makePool(ids: string[], extra: Partial<UpstreamPoolOptions> = {}): UpstreamPool {
    pool = new UpstreamPool(
      'test',
      {
        instances: ids.map((id) => ({ url, id })),
        strategy: 'round-robin',
        retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3, deadlineMs: 2_000 },
        ...extra,
      },
      { metrics },
    );
    return pool;
  }

  /** Which instance answered each of `n` sequential calls. */
  async function route(n: number): Promise<string[]> {
    const answered: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await pool.request({ path: '/' });
      await res.text();
      answered.push(res.instance);
    }
    return answered;
  }

  const instance = (id: string) => pool.snapshot().instances.find((i) => i.id === id);

  it('should send a pinned call to its instance only, and answer UPSTREAM.UNAVAILABLE without failover when it cannot', async () => {
    makePool(['a', 'b', 'c']);
    for (let i = 0; i < 4; i++) {
      const res = await pool.request({ path: '/', instance: 'b' });
      await res.text();
      expect(res.instance).toBe('b');
    }
    await expect(pool.request({ path: '/', instance: 'nope' })).rejects.toMatchObject({
      code: 'UPSTREAM.UNAVAILABLE',
    });
    await pool.close();
    pool = new UpstreamPool('test', {
      instances: [
        { url: await deadUrl(), id: 'dead' },
        { url, id: 'live' },
      ],
    });
    await expect(pool.request({ path: '/', instance: 'dead' })).rejects.toMatchObject({
      code: 'UPSTREAM.UNAVAILABLE',
    });
    expect(instance('live')?.outstanding).toBe(0);
  });

  it('should show instances as probe unknown until a checker reports, then the result, its time and detail', () => {
    makePool(['a', 'b']);
    expect(instance('a')).toMatchObject({ probe: 'unknown', up: true });
    expect(instance('a')?.probedAt).toBeUndefined();

    expect(pool.reportProbe('a', true)).toBe(true);
    expect(pool.reportProbe('b', false, 'ECONNREFUSED')).toBe(true);

    const snap = pool.snapshot();
    expect(snap).toMatchObject({ up: 1, total: 2, panic: false });
    expect(instance('a')).toMatchObject({ probe: 'healthy', up: true });
    expect(instance('b')).toMatchObject({ probe: 'unhealthy', probeDetail: 'ECONNREFUSED', up: false });
    expect(Date.now() - Date.parse(instance('b')?.probedAt ?? '')).toBeLessThan(5_000);
  });

  it('should refuse a probe result for an instance it does not have', () => {
    makePool(['a']);
    expect(pool.reportProbe('nope', false)).toBe(false);
    expect(pool.snapshot().up).toBe(1);
  });

  it('should send no call to a probe-unhealthy instance while another is up, and use it again once its probe passes', async () => {
    makePool(['a', 'b', 'c']);
    pool.reportProbe('b', false, 'timed out');
    const during = await route(12);
    expect(during).not.toContain('b');
    expect(new Set(during)).toEqual(new Set(['a', 'c']));
    expect(panics).toBe(0);

    pool.reportProbe('b', true);
    expect(await route(6)).toContain('b');
  });

  it('should treat never-probed instances as candidates, preferring them to probe-unhealthy ones', async () => {
    makePool(['a', 'b']);
    pool.reportProbe('a', false);
    expect(await route(4)).toEqual(['b', 'b', 'b', 'b']);
  });

  it('should keep using probe-unhealthy instances when every one of them is (panic mode), not fail calls locally', async () => {
    makePool(['a', 'b']);
    pool.reportProbe('a', false, 'timed out');
    pool.reportProbe('b', false, 'timed out');
    expect(pool.snapshot()).toMatchObject({ up: 0, panic: true });

    // The first call is sent in panic mode; its success puts 'a' back in rotation, ending panic.
    expect(await route(4)).toEqual(['a', 'a', 'a', 'a']);
    expect(panics).toBe(1);
    expect(pool.snapshot()).toMatchObject({ up: 1, panic: false });
    expect(instance('b')).toMatchObject({ up: false, probe: 'unhealthy' });
  });

  it('should panic onto a probe-unhealthy instance when the only probe-healthy one is ejected, and let that real success count until the next probe', async () => {
    const dead = await deadUrl();
    pool = new UpstreamPool(
      'test',
      {
        instances: [
          { url: dead, id: 'gone' },
          { url, id: 'live' },
        ],
        retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3, deadlineMs: 2_000 },
        outlier: { consecutiveFailures: 1, maxEjectionShare: 1 },
      },
      { metrics },
    );
    // The checker is wrong both ways: it passes the dead instance and fails the live one.
    pool.reportProbe('gone', true);
    pool.reportProbe('live', false, '/health answered 500');

    const res = await pool.request({ path: '/', method: 'POST', body: {} });
    await res.text();
    expect(res.instance).toBe('live');
    expect(res.attempts).toBe(2);
    expect(panics).toBe(1);
    expect(instance('gone')).toMatchObject({ ejected: true, up: false, probe: 'healthy' });
    // The real answer outranks the failed probe: up (probe still shows what the checker said)…
    expect(instance('live')).toMatchObject({ up: true, probe: 'unhealthy' });
    expect(pool.snapshot()).toMatchObject({ up: 1, panic: false });

    // …until the next probe decides again.
    pool.reportProbe('live', false, '/health answered 500');
    expect(instance('live')).toMatchObject({ up: false, probe: 'unhealthy' });
  });

  it('should not override a failed probe with calls that failed', async () => {
    const dead = await deadUrl();
    pool = new UpstreamPool('test', {
      instances: [{ url: dead, id: 'gone' }],
      retry: { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2, deadlineMs: 2_000 },
      outlier: { consecutiveFailures: 100 },
    });
    pool.reportProbe('gone', false, 'ECONNREFUSED');
    await expect(pool.request({ path: '/' })).rejects.toMatchObject({ code: 'UPSTREAM.UNAVAILABLE' });
    expect(instance('gone')).toMatchObject({ up: false, probe: 'unhealthy' });
  });

  it('should drop the probe state of an instance removed at runtime, and keep it for one that stays', () => {
    makePool(['a', 'b']);
    pool.reportProbe('a', false);
    pool.reportProbe('b', false);

    expect(pool.removeInstance('a')).toBe(true);
    expect(pool.reportProbe('a', false)).toBe(false);
    pool.addInstance({ url, id: 'a' });
    expect(instance('a')).toMatchObject({ probe: 'unknown', up: true });

    pool.setInstances([
      { url, id: 'a' },
      { url, id: 'b', weight: 3 },
    ]);
    expect(instance('b')).toMatchObject({ probe: 'unhealthy', up: false, weight: 3 });
  });
});
