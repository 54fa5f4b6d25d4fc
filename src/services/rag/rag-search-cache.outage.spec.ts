import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { RedisProcess } from '../../platform/state/redis-process.testing';
import { RedisStateStore } from '../../platform/state/redis-state-store';
import { RagSearchCache } from './rag-search-cache';

const COMMAND_TIMEOUT_MS = 300;

/** The cache on a redis-server of its own, which the tests restart empty and freeze. */
describe(`${RagSearchCache.name} outage`, () => {
  let redis: RedisProcess;
  let store: RedisStateStore;
  let cache: RagSearchCache;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = await RedisProcess.start();
    store = new RedisStateStore({
      url: redis.url,
      keyPrefix: 'cache-outage:',
      connectTimeoutMs: 500,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      reconnectMaxDelayMs: 100,
    });
    expect(await store.waitUntilReady(3000)).toBe(true);
    cache = new RagSearchCache(store, 60_000);
  });

  afterAll(async () => {
    redis?.resume();
    await store?.close();
    await redis?.stop();
  });

  const cached = async (tenant: string, request: unknown, value: unknown) => {
    const { key } = await cache.get(tenant, request);
    await cache.set(key, value);
    expect((await cache.get(tenant, request)).value).toEqual(value);
  };

  it('should serve nothing stale after Redis restarted empty', async () => {
    await cached('t1', { q: 'receipts' }, ['doc-1']);
    const recovered = once(store, 'recovered');
    await redis.stop();
    await redis.start();
    expect(await recovered).toEqual([{ dataLost: true }]);
    expect(await cache.get('t1', { q: 'receipts' })).toMatchObject({ value: undefined });
  });

  it('should search uncached at once while Redis stops answering, and not serve answers from before a write made meanwhile', async () => {
    await cached('t2', { q: 'invoices' }, ['before-the-write']);
    const recovered = once(store, 'recovered');
    redis.pause();
    try {
      const started = performance.now();
      expect(await cache.get('t2', { q: 'invoices' })).toEqual({});
      // A document write: its invalidation cannot reach Redis.
      await cache.invalidate('t2');
      expect(await cache.get('t2', { q: 'invoices' })).toEqual({});
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS * 4);
    } finally {
      redis.resume();
    }
    await recovered;
    // Redis kept the old answer, but the generation moved once it answered again.
    expect((await cache.get('t2', { q: 'invoices' })).value).toBeUndefined();
    await cached('t2', { q: 'invoices' }, ['after-the-write']);
  });
});
