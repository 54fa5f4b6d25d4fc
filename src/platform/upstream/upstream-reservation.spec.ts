import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamPool } from './upstream-pool';
import { UpstreamUnavailableError } from './upstream.errors';

describe('UpstreamPool.reserve', () => {
  let server: Server;
  let url: string;
  let pool: UpstreamPool;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => pool?.close());

  const makePool = (ids: string[]) =>
    (pool = new UpstreamPool('one-at-a-time', {
      instances: ids.map((id) => ({ url, id })),
      strategy: 'round-robin',
      maxConcurrentPerInstance: 1,
    }));

  it('should hand out each instance once until it is released, then again', () => {
    makePool(['a', 'b']);
    const first = pool.reserve()!;
    const second = pool.reserve()!;
    expect(new Set([first.instance, second.instance])).toEqual(new Set(['a', 'b']));
    expect(pool.reserve()).toBeUndefined();
    first.release();
    first.release(); // idempotent: must not free a second slot
    const third = pool.reserve()!;
    expect(third.instance).toBe(first.instance);
    expect(pool.reserve()).toBeUndefined();
  });

  it('should pin calls made through a reservation to its instance, beside the held slot', async () => {
    makePool(['a', 'b', 'c']);
    const slot = pool.reserve()!;
    for (let i = 0; i < 4; i++) {
      const res = await slot.request({ path: '/' });
      await res.text();
      expect(res.instance).toBe(slot.instance);
    }
    slot.release();
  });

  it('should keep unpinned calls off a reserved instance', async () => {
    makePool(['a', 'b']);
    const slot = pool.reserve()!;
    for (let i = 0; i < 4; i++) {
      const res = await pool.request({ path: '/' });
      await res.text();
      expect(res.instance).not.toBe(slot.instance);
    }
  });

  it('should tell release listeners, and refuse a pinned call to an unknown instance', async () => {
    makePool(['a']);
    let released = 0;
    const off = pool.onRelease(() => released++);
    pool.reserve()!.release();
    off();
    pool.reserve()!.release();
    expect(released).toBe(1);
    await expect(pool.request({ path: '/', instance: 'nope' })).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});
