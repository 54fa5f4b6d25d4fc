import { OutlierDetector, OutlierState } from './outlier-detector';

describe(OutlierDetector.name, () => {
  const detector = new OutlierDetector({
    consecutiveFailures: 3,
    baseEjectionMs: 1_000,
    maxEjectionMs: 2_500,
    maxEjectionShare: 0.5,
  });

  it('should eject after the configured consecutive failures, for a time growing with each ejection up to the max', () => {
    const s = new OutlierState();
    let now = 0;
    const failTimes = (n: number) => {
      let d: number | undefined;
      for (let i = 0; i < n; i++) d = detector.failure(s, now, 0, 4) ?? d;
      return d;
    };
    expect(failTimes(2)).toBeUndefined();
    expect(failTimes(1)).toBe(1_000);
    expect(s.isEjected(now + 999)).toBe(true);
    expect(s.isEjected(now + 1_000)).toBe(false);
    now = 1_000;
    expect(failTimes(3)).toBe(2_000);
    now = 3_000;
    expect(failTimes(3)).toBe(2_500);
  });

  it('should reset the streak on success', () => {
    const s = new OutlierState();
    detector.failure(s, 0, 0, 4);
    detector.failure(s, 0, 0, 4);
    detector.success(s);
    expect(detector.failure(s, 0, 0, 4)).toBeUndefined();
    expect(s.consecutiveFailures).toBe(1);
  });

  it('should never eject beyond the max share of the pool', () => {
    const s = new OutlierState();
    for (let i = 0; i < 10; i++) expect(detector.failure(s, 0, 2, 4)).toBeUndefined();
    expect(s.isEjected(0)).toBe(false);
    expect(detector.failure(new OutlierState(), 0, 0, 1)).toBeUndefined();
  });

  it('should start again from the base time after staying in for the max ejection time', () => {
    const s = new OutlierState();
    for (let i = 0; i < 3; i++) detector.failure(s, 0, 0, 4);
    for (let i = 0; i < 3; i++) detector.failure(s, 1_000, 0, 4);
    expect(s.times).toBe(2);
    let d: number | undefined;
    for (let i = 0; i < 3; i++) d = detector.failure(s, 3_000 + 2_500, 0, 4) ?? d;
    expect(d).toBe(1_000);
  });
});
