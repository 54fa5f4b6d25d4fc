import { decayedPenalty, effectiveLimit, PressureFactor, pressureTarget, trustFactor } from './adaptive-limits';

const settings = { lagThresholdMs: 100, inFlightThreshold: 50, minFactor: 0.25, relaxPerSecond: 0.1 };

describe('adaptive limits', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('should target 1 under the thresholds and shrink in proportion above them, down to the floor', () => {
    expect(pressureTarget({ lagP99Ms: 50, inFlight: 10 }, settings)).toBe(1);
    expect(pressureTarget({ lagP99Ms: 200, inFlight: 10 }, settings)).toBe(0.5);
    expect(pressureTarget({ lagP99Ms: 50, inFlight: 100 }, settings)).toBe(0.5);
    expect(pressureTarget({ lagP99Ms: 400, inFlight: 100 }, settings)).toBe(0.25);
    expect(pressureTarget({ lagP99Ms: 10_000, inFlight: 10 }, settings)).toBe(0.25);
  });

  it('should tighten at once and relax by at most relaxPerSecond per second', () => {
    const p = new PressureFactor(settings);
    expect(p.update({ lagP99Ms: 0, inFlight: 0 })).toBe(1);
    expect(p.update({ lagP99Ms: 400, inFlight: 0 })).toBe(0.25);
    jest.advanceTimersByTime(1000);
    expect(p.update({ lagP99Ms: 0, inFlight: 0 })).toBeCloseTo(0.35);
    jest.advanceTimersByTime(2000);
    expect(p.update({ lagP99Ms: 0, inFlight: 0 })).toBeCloseTo(0.55);
    jest.advanceTimersByTime(500);
    // Pressure returns mid-recovery: straight down to the new, lower target.
    expect(p.update({ lagP99Ms: 0, inFlight: 125 })).toBeCloseTo(0.4);
    jest.advanceTimersByTime(60_000);
    expect(p.update({ lagP99Ms: 0, inFlight: 0 })).toBe(1);
  });

  it('should halve a penalty every half-life and map it to trust 1 / (1 + p), floored', () => {
    expect(decayedPenalty(4, 0, 0, 1000)).toBe(4);
    expect(decayedPenalty(4, 0, 1000, 1000)).toBe(2);
    expect(decayedPenalty(4, 0, 3000, 1000)).toBe(0.5);
    expect(trustFactor(0, 0.25)).toBe(1);
    expect(trustFactor(1, 0.25)).toBe(0.5);
    expect(trustFactor(9, 0.25)).toBe(0.25);
  });

  it('should never cut a limit below one request', () => {
    expect(effectiveLimit(100, 0.5, 0.5)).toBe(25);
    expect(effectiveLimit(3, 0.25, 0.25)).toBe(1);
  });
});
