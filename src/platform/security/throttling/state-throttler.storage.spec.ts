import { MemoryStateStore } from '../../state/memory-state-store';
import { StateThrottlerStorage } from './state-throttler.storage';

describe(StateThrottlerStorage.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('should count hits in a window, block past the limit for blockDuration, then start afresh', async () => {
    const storage = new StateThrottlerStorage(new MemoryStateStore());
    const hit = () => storage.increment('k', 10_000, 2, 5_000, 'burst');
    expect(await hit()).toEqual({ totalHits: 1, timeToExpire: 10, isBlocked: false, timeToBlockExpire: 0 });
    expect((await hit()).isBlocked).toBe(false);
    expect(await hit()).toMatchObject({ totalHits: 3, isBlocked: true, timeToBlockExpire: 5 });
    jest.advanceTimersByTime(3_000);
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 2 });
    jest.advanceTimersByTime(7_001);
    expect(await hit()).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('should keep throttlers and keys apart', async () => {
    const storage = new StateThrottlerStorage(new MemoryStateStore());
    await storage.increment('a', 1000, 1, 1000, 'burst');
    expect((await storage.increment('a', 1000, 1, 1000, 'sustained')).isBlocked).toBe(false);
    expect((await storage.increment('b', 1000, 1, 1000, 'burst')).isBlocked).toBe(false);
    expect((await storage.increment('a', 1000, 1, 1000, 'burst')).isBlocked).toBe(true);
  });
});
