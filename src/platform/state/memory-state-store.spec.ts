import { MemoryStateStore } from './memory-state-store';
import { describeStateStoreContract } from './state-store.contract';

describeStateStoreContract(MemoryStateStore.name, async () => ({
  store: new MemoryStateStore(),
  cleanup: async () => undefined,
}));

describe(MemoryStateStore.name, () => {
  afterEach(() => jest.useRealTimers());

  it('should expire keys and windows by the (fake) clock', async () => {
    jest.useFakeTimers();
    const store = new MemoryStateStore();
    await store.set('k', 'v', { ttlMs: 1000 });
    await store.increment('c', 1000);
    jest.advanceTimersByTime(999);
    expect(await store.get('k')).toBe('v');
    expect((await store.increment('c', 1000)).ttlMs).toBe(1);
    jest.advanceTimersByTime(1);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.increment('c', 1000)).toEqual({ count: 1, ttlMs: 1000 });
  });
});
