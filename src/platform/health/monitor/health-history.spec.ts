import type { CheckSample } from './check-sample';
import { HealthHistory, percentile } from './health-history';
import { RingBuffer } from './ring-buffer';

const sample = (at: number, latencyMs: number, status: CheckSample['status'] = 'UP'): CheckSample => ({
  at,
  status,
  latencyMs,
  failed: status === 'DOWN',
});

describe(RingBuffer.name, () => {
  it('should keep the newest items up to its capacity, oldest first', () => {
    const b = new RingBuffer<number>(3);
    [1, 2, 3, 4, 5].forEach((n) => b.push(n));
    expect(b.toArray()).toEqual([3, 4, 5]);
    expect(b.last(2)).toEqual([4, 5]);
    expect(b.size).toBe(3);
  });
});

describe(HealthHistory.name, () => {
  it('should bound the history but count every check', () => {
    const h = new HealthHistory(10);
    for (let i = 0; i < 25; i++) h.record('a', sample(i * 1000, i, i % 5 === 0 ? 'DOWN' : 'UP'));
    const stats = h.stats('a', 25_000);
    expect(stats.samples).toBe(10);
    expect(stats.checks).toBe(25);
    expect(stats.failures).toBe(5);
  });

  it('should compute latency percentiles and availability over 5 min and 1 h', () => {
    const h = new HealthHistory(1000);
    const now = 10_000_000;
    // 40 min ago: 10 DOWN checks; last 5 min: 9 UP + 1 DEGRADED.
    for (let i = 0; i < 10; i++) h.record('a', sample(now - 40 * 60_000 + i, 1000, 'DOWN'));
    for (let i = 1; i <= 10; i++) h.record('a', sample(now - i * 1000, i, i === 1 ? 'DEGRADED' : 'UP'));
    const stats = h.stats('a', now);
    expect(stats.availability).toEqual({ last5m: 1, last1h: 0.5 });
    expect(stats.failureRate5m).toBe(0);
    expect(stats.latencyMs.p50).toBe(10);
    expect(stats.latencyMs.p99).toBe(1000);
  });

  it('should answer null figures without samples', () => {
    expect(new HealthHistory(5).stats('none')).toMatchObject({
      checks: 0,
      latencyMs: { p50: null, p95: null, p99: null },
      availability: { last5m: null, last1h: null },
    });
    expect(percentile([], 50)).toBeNull();
  });
});
