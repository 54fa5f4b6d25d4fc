import { MemoryStateStore } from '../../state/memory-state-store';
import type { ThrottlingConfig } from './throttling.config';
import { TRUST_READ_CACHE_MS, TrustScoreService } from './trust-score.service';

const config = { adaptive: { trustHalfLifeMs: 60_000, minFactor: 0.2 } } as ThrottlingConfig;

describe(TrustScoreService.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 5_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('should drop trust per weighted event and recover it as the penalty halves', async () => {
    const trust = new TrustScoreService(new MemoryStateStore(), config);
    expect(await trust.factor('ip:1.2.3.4')).toBe(1);
    await trust.penalise('ip:1.2.3.4', 'input.rejected');
    await trust.penalise('ip:1.2.3.4', 'input.rejected');
    expect(await trust.factor('ip:1.2.3.4')).toBeCloseTo(1 / 3);
    expect(await trust.factor('ip:5.6.7.8')).toBe(1);
    jest.advanceTimersByTime(60_000);
    expect(await trust.factor('ip:1.2.3.4')).toBeCloseTo(0.5);
    jest.advanceTimersByTime(60_000 * 6);
    expect(await trust.factor('ip:1.2.3.4')).toBeGreaterThan(0.96);
  });

  it('should not fall below the configured floor', async () => {
    const trust = new TrustScoreService(new MemoryStateStore(), config);
    for (let i = 0; i < 20; i++) await trust.penalise('key:x', 'input.rejected');
    expect(await trust.factor('key:x')).toBe(0.2);
  });

  it('should reuse a read for a moment, see its own penalties at once and others within the cache time', async () => {
    const store = new MemoryStateStore();
    const here = new TrustScoreService(store, config);
    const there = new TrustScoreService(store, config);
    const get = jest.spyOn(store, 'get');
    expect(await here.factor('key:y')).toBe(1);
    expect(here.factor('key:y')).toBe(1); // a plain number: no store read, nothing to await
    expect(get).toHaveBeenCalledTimes(1);
    await here.penalise('key:y', 'input.rejected');
    expect(here.factor('key:y')).toBeCloseTo(0.5); // its own penalty, at once
    await there.penalise('key:y', 'input.rejected'); // another instance
    expect(here.factor('key:y')).toBeCloseTo(0.5); // not seen yet
    jest.advanceTimersByTime(TRUST_READ_CACHE_MS);
    expect(await here.factor('key:y')).toBeCloseTo(1 / 3, 2); // read again: both penalties
  });
});
