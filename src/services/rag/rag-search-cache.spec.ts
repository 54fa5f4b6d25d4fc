import { Logger } from '@nestjs/common';
import { MemoryStateStore, type StateStore } from '../../platform/state';
import { RagSearchCache } from './rag-search-cache';

describe(RagSearchCache.name, () => {
  let state: MemoryStateStore;
  beforeEach(() => {
    state = new MemoryStateStore();
  });

  it('should return what was stored for the same tenant and request only', async () => {
    const cache = new RagSearchCache(state, 60_000);
    const first = await cache.get('t1', { q: 'x' });
    expect(first.value).toBeUndefined();
    await cache.set(first.key, ['hit']);
    expect((await cache.get('t1', { q: 'x' })).value).toEqual(['hit']);
    expect((await cache.get('t1', { q: 'y' })).value).toBeUndefined();
    expect((await cache.get('t2', { q: 'x' })).value).toBeUndefined();
  });

  it('should never serve an answer computed before a write, even one stored after it', async () => {
    const cache = new RagSearchCache(state, 60_000);
    const inFlight = await cache.get('t1', { q: 'x' });
    await cache.invalidate('t1');
    await cache.set(inFlight.key, ['stale']);
    expect((await cache.get('t1', { q: 'x' })).value).toBeUndefined();
  });

  it('should do nothing when the TTL is 0', async () => {
    const cache = new RagSearchCache(state, 0);
    expect(await cache.get('t1', { q: 'x' })).toEqual({});
  });

  it('should fail open when the state backend is down', async () => {
    const down = {
      get: () => Promise.reject(new Error('down')),
      set: () => Promise.reject(new Error('down')),
      onRecovered: () => () => undefined,
    } as unknown as StateStore;
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const cache = new RagSearchCache(down, 60_000);
    await expect(cache.get('t1', { q: 'x' })).resolves.toEqual({});
    await expect(cache.set('k', [])).resolves.toBeUndefined();
    await expect(cache.invalidate('t1')).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(3);
    warn.mockRestore();
  });
});
