import { MemoryStateStore } from '../../state/memory-state-store';
import type { EventLoopMonitor } from '../../sensors/event-loop-monitor.service';
import { AdaptiveLimiter } from './adaptive-limiter.service';
import { InFlightRequests } from '../../sensors/in-flight-requests';
import type { ThrottlingConfig } from './throttling.config';
import { TrustScoreService } from './trust-score.service';

const adaptive = {
  enabled: true,
  lagThresholdMs: 100,
  inFlightThreshold: 4,
  minFactor: 0.25,
  relaxPerSecond: 0.25,
  trustHalfLifeMs: 60_000,
};

describe(AdaptiveLimiter.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 2_000_000 }));
  afterEach(() => jest.useRealTimers());

  function setup(enabled = true) {
    const config = { adaptive: { ...adaptive, enabled } } as ThrottlingConfig;
    let lag = 0;
    const loop = { read: () => ({ p99Ms: lag, maxMs: lag }) } as unknown as EventLoopMonitor;
    const inFlight = new InFlightRequests();
    const trust = new TrustScoreService(new MemoryStateStore(), config);
    const limiter = new AdaptiveLimiter(config, loop, inFlight, trust);
    return { limiter, inFlight, trust, setLag: (ms: number) => (lag = ms) };
  }

  it('should tighten under event-loop lag and in-flight load, then relax over time', async () => {
    const { limiter, inFlight, setLag } = setup();
    expect(await limiter.limitFor('ip:1', 100)).toBe(100);
    setLag(200);
    expect(await limiter.limitFor('ip:1', 100)).toBe(50);
    setLag(0);
    for (let i = 0; i < 8; i++) inFlight.enter();
    expect(await limiter.limitFor('ip:1', 100)).toBe(50);
    for (let i = 0; i < 8; i++) inFlight.leave();
    expect(inFlight.current).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(await limiter.limitFor('ip:1', 100)).toBe(75);
    jest.advanceTimersByTime(1000);
    expect(await limiter.limitFor('ip:1', 100)).toBe(100);
  });

  it('should combine pressure with the client trust, and do nothing when disabled', async () => {
    const { limiter, trust, setLag } = setup();
    await trust.penalise('ip:2', 'input.rejected');
    expect(await limiter.limitFor('ip:2', 100)).toBe(50);
    setLag(200);
    expect(await limiter.limitFor('ip:2', 100)).toBe(25);
    const off = setup(false);
    off.setLag(10_000);
    expect(await off.limiter.limitFor('ip:3', 100)).toBe(100);
  });
});
