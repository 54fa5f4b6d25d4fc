import { StallTracker } from './event-loop-watchdog.service';

describe(StallTracker.name, () => {
  const LIMIT = 30_000;
  const INTERVAL = 1000;
  let now: number;
  let tracker: StallTracker;

  beforeEach(() => {
    now = 0;
    tracker = new StallTracker(LIMIT, INTERVAL, () => now);
  });

  /** Heartbeats `count` times, each `everyMs` after the previous one. */
  const beat = (count: number, everyMs: number) => {
    for (let i = 0; i < count; i++) {
      now += everyMs;
      tracker.turn();
    }
  };

  it('should never call a loop wedged that turns late under load, however late short of the limit', () => {
    // Heavy contention: every heartbeat 5 s late (p99 lag of 5 s), for ten minutes.
    for (let i = 0; i < 120; i++) {
      beat(1, INTERVAL + 5000);
      expect(tracker.read()).toMatchObject({ wedged: false, recentStallMs: 0 });
    }
    now += INTERVAL + 20_000;
    expect(tracker.read()).toMatchObject({ wedged: false, currentStallMs: 20_000 });
  });

  it('should call the loop wedged while it has not turned for the limit', () => {
    beat(3, INTERVAL);
    now += INTERVAL + LIMIT - 1;
    expect(tracker.read().wedged).toBe(false);
    now += 1;
    expect(tracker.read()).toMatchObject({ wedged: true, currentStallMs: LIMIT, limitMs: LIMIT });
  });

  it('should keep a wedge visible for another limit after the loop turns again, then clear', () => {
    now += INTERVAL + 40_000;
    expect(tracker.turn()).toBe(40_000);
    expect(tracker.read()).toMatchObject({ wedged: true, currentStallMs: 0, recentStallMs: 40_000 });
    beat(29, INTERVAL);
    expect(tracker.read().wedged).toBe(true);
    beat(1, INTERVAL);
    expect(tracker.read()).toMatchObject({ wedged: false, recentStallMs: 0 });
  });

  it('should stay wedged for a loop that wedges again before the last wedge is forgotten', () => {
    now += INTERVAL + 35_000;
    tracker.turn();
    beat(10, INTERVAL);
    now += INTERVAL + 35_000;
    tracker.turn();
    beat(10, INTERVAL);
    expect(tracker.read()).toMatchObject({ wedged: true, recentStallMs: 35_000 });
  });
});
