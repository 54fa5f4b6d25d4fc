import type { CheckSample } from '../monitor/check-sample';
import { leastSquares, predictCrossing } from './least-squares';
import { TrendTracker, type TrendTransition } from './trend-tracker';

const STEP_MS = 10_000;
const settings = { window: 6, horizonMs: 65_000, latencyThresholdMs: 500, failureRateThreshold: 0.5 };

/** Feeds one sample per STEP_MS and collects the transitions with their times. */
function run(series: { latencyMs: number; failed?: boolean }[]) {
  const tracker = new TrendTracker(settings);
  const samples: CheckSample[] = [];
  const transitions: { kind: TrendTransition['kind']; at: number; metric?: string }[] = [];
  series.forEach((point, i) => {
    const at = i * STEP_MS;
    samples.push({
      at,
      latencyMs: point.latencyMs,
      failed: point.failed === true,
      status: point.failed ? 'DOWN' : 'UP',
    });
    const t = tracker.evaluate('svc', samples, at);
    if (t) transitions.push({ kind: t.kind, at, metric: t.trend.crossing?.metric });
  });
  return { transitions, tracker };
}

describe(TrendTracker.name, () => {
  it('should never fire on a steady series', () => {
    const { transitions, tracker } = run(Array.from({ length: 50 }, () => ({ latencyMs: 50 })));
    expect(transitions).toEqual([]);
    expect(tracker.get('svc')).toMatchObject({ predicted: false, latency: { etaMs: null } });
  });

  it('should fire on a rising latency once the crossing is predicted within the horizon', () => {
    // +10 ms per 10 s: the fitted line reaches 500 ms at 450 s; within 65 s of that from 390 s on.
    const { transitions } = run(Array.from({ length: 45 }, (_, i) => ({ latencyMs: 50 + 10 * i })));
    expect(transitions).toEqual([{ kind: 'fire', at: 390_000, metric: 'latency' }]);
  });

  it('should fire on a spike and clear once the trend turns, before the series is back to normal for a full window', () => {
    const series = [
      ...Array.from({ length: 20 }, () => ({ latencyMs: 50 })),
      { latencyMs: 450 },
      { latencyMs: 450 },
      ...Array.from({ length: 20 }, () => ({ latencyMs: 50 })),
    ];
    const { transitions } = run(series);
    expect(transitions).toEqual([
      { kind: 'fire', at: 200_000, metric: 'latency' },
      { kind: 'clear', at: 230_000, metric: undefined },
    ]);
  });

  it('should predict a failure-rate crossing before the smoothed rate crosses', () => {
    const series = Array.from({ length: 20 }, (_, i) => ({ latencyMs: 5, failed: i >= 10 }));
    const { transitions } = run(series);
    // EWMA (α = 0.3): 0.3 at 100 s, 0.51 at 110 s; the fitted line is still below 0.5 at 110 s.
    expect(transitions[0]).toEqual({ kind: 'fire', at: 110_000, metric: 'failureRate' });
  });

  it('should clear when a rise flattens below the threshold', () => {
    const series = [
      ...Array.from({ length: 41 }, (_, i) => ({ latencyMs: 50 + 10 * i })),
      ...Array.from({ length: 10 }, () => ({ latencyMs: 450 })),
    ];
    const { transitions } = run(series);
    expect(transitions.map((t) => t.kind)).toEqual(['fire', 'clear']);
    expect(transitions[0].at).toBe(390_000);
    // Cleared once the window holds mostly the plateau, at the latest when it holds nothing else.
    expect(transitions[1].at).toBeGreaterThan(400_000);
    expect(transitions[1].at).toBeLessThanOrEqual((40 + 6) * STEP_MS);
  });
});

describe('least squares', () => {
  it('should fit an exact line and extrapolate its crossing', () => {
    const points = [0, 1, 2, 3].map((i) => ({ t: 1_700_000_000_000 + i * 1000, v: 10 + 2 * i }));
    expect(leastSquares(points)!.slope).toBeCloseTo(0.002, 9);
    const p = predictCrossing(points, 20, points[3].t)!;
    expect(p.fitted).toBeCloseTo(16, 6);
    expect(p.etaMs).toBeCloseTo(2000, 3);
  });

  it('should predict no crossing for a falling series', () => {
    const points = [0, 1, 2].map((i) => ({ t: i, v: 100 - i }));
    expect(predictCrossing(points, 500, 2)!.etaMs).toBeNull();
    expect(predictCrossing(points, 50, 2)!.etaMs).toBeNull();
    expect(leastSquares([{ t: 1, v: 1 }])).toBeUndefined();
  });
});
