import type { BalancerTarget } from './balancer';
import { ConsistentHashBalancer } from './consistent-hash.strategy';
import { HealthPreferenceBalancer } from './health-preference.strategy';
import { LeastOutstandingBalancer } from './least-outstanding.strategy';
import { RandomBalancer } from './random.strategy';
import { RoundRobinBalancer } from './round-robin.strategy';
import { SmoothWeightedBalancer } from './smooth-weighted.strategy';

type T = BalancerTarget & { outstanding: number; errorScore: number };
const target = (id: string, weight = 1, outstanding = 0, errorScore = 0): T => ({
  id,
  weight,
  outstanding,
  errorScore,
});
const all = () => true;

/** Deterministic [0,1) source (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tally(picks: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) if (p !== undefined) out[p] = (out[p] ?? 0) + 1;
  return out;
}

describe(RoundRobinBalancer.name, () => {
  it('should visit each eligible instance in turn, skipping ineligible ones', () => {
    const b = new RoundRobinBalancer();
    const ts = [target('a'), target('b'), target('c')];
    expect(Array.from({ length: 6 }, () => b.pick(ts, all)?.id)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(Array.from({ length: 4 }, () => b.pick(ts, (t) => t.id !== 'b')?.id)).toEqual(['a', 'c', 'a', 'c']);
    expect(b.pick(ts, () => false)).toBeUndefined();
  });
});

describe(SmoothWeightedBalancer.name, () => {
  it('should honour weights exactly over each cycle, interleaved as nginx does', () => {
    const b = new SmoothWeightedBalancer();
    const ts = [target('a', 5), target('b', 1), target('c', 1)];
    const cycle = Array.from({ length: 7 }, () => b.pick(ts, all)?.id);
    expect(cycle).toEqual(['a', 'a', 'b', 'a', 'c', 'a', 'a']);
    const many = Array.from({ length: 7 * 100 }, () => b.pick(ts, all)?.id);
    expect(tally(many)).toEqual({ a: 500, b: 100, c: 100 });
  });

  it('should give exact shares for uneven weights and re-share when one is ineligible', () => {
    const b = new SmoothWeightedBalancer();
    const ts = [target('a', 3), target('b', 2), target('c', 1)];
    expect(tally(Array.from({ length: 6 * 50 }, () => b.pick(ts, all)?.id))).toEqual({ a: 150, b: 100, c: 50 });
    expect(tally(Array.from({ length: 5 * 20 }, () => b.pick(ts, (t) => t.id !== 'c')?.id))).toEqual({ a: 60, b: 40 });
  });
});

describe(LeastOutstandingBalancer.name, () => {
  it('should never pick the busiest of three when comparing two random choices', () => {
    const b = new LeastOutstandingBalancer(seeded(1));
    const ts = [target('a', 1, 0), target('b', 1, 5), target('c', 1, 10)];
    const counts = tally(Array.from({ length: 3000 }, () => b.pick(ts, all)?.id));
    expect(counts.c).toBeUndefined();
    // a wins whenever it is sampled (2 of 3 pairs); b only in the pair (b, c).
    expect(counts.a / 3000).toBeCloseTo(2 / 3, 1);
    expect(counts.b / 3000).toBeCloseTo(1 / 3, 1);
  });

  it('should spread evenly across equally loaded instances and use the only eligible one', () => {
    const b = new LeastOutstandingBalancer(seeded(2));
    const ts = [target('a'), target('b'), target('c'), target('d')];
    const counts = tally(Array.from({ length: 8000 }, () => b.pick(ts, all)?.id));
    for (const id of ['a', 'b', 'c', 'd']) expect(counts[id] / 8000).toBeCloseTo(0.25, 1);
    expect(b.pick(ts, (t) => t.id === 'c')?.id).toBe('c');
  });
});

describe(RandomBalancer.name, () => {
  it('should pick in proportion to weight', () => {
    const b = new RandomBalancer(seeded(3));
    const ts = [target('a', 1), target('b', 3)];
    const counts = tally(Array.from({ length: 10000 }, () => b.pick(ts, all)?.id));
    expect(counts.a / 10000).toBeCloseTo(0.25, 1);
    expect(counts.b / 10000).toBeCloseTo(0.75, 1);
  });
});

describe(ConsistentHashBalancer.name, () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `session-${i}`);

  it('should send the same key to the same instance and spread keys roughly evenly', () => {
    const b = new ConsistentHashBalancer(160);
    const ts = [target('a'), target('b'), target('c')];
    const first = keys.map((k) => b.pick(ts, all, k)?.id);
    const again = keys.map((k) => b.pick(ts, all, k)?.id);
    expect(again).toEqual(first);
    const counts = tally(first);
    for (const id of ['a', 'b', 'c']) expect(counts[id] / keys.length).toBeGreaterThan(0.25);
  });

  it('should move only the keys of a removed instance, and about 1/n of keys to an added one', () => {
    const b = new ConsistentHashBalancer(160);
    const three = [target('a'), target('b'), target('c')];
    const before = keys.map((k) => b.pick(three, all, k)?.id);
    const two = [target('a'), target('c')];
    b.reset(two);
    const afterRemove = keys.map((k) => b.pick(two, all, k)?.id);
    keys.forEach((_, i) => {
      if (before[i] !== 'b') expect(afterRemove[i]).toBe(before[i]);
    });
    const four = [...three, target('d')];
    b.reset(four);
    const afterAdd = keys.map((k) => b.pick(four, all, k)?.id);
    const moved = keys.filter((_, i) => afterAdd[i] !== before[i]);
    keys.forEach((_, i) => {
      if (afterAdd[i] !== before[i]) expect(afterAdd[i]).toBe('d');
    });
    expect(moved.length / keys.length).toBeGreaterThan(0.15);
    expect(moved.length / keys.length).toBeLessThan(0.35);
  });

  it('should walk to the next instance while a key’s owner is ineligible, and come back after', () => {
    const b = new ConsistentHashBalancer(160);
    const ts = [target('a'), target('b'), target('c')];
    const owner = b.pick(ts, all, 'user-42')?.id;
    const detour = b.pick(ts, (t) => t.id !== owner, 'user-42')?.id;
    expect(detour).toBeDefined();
    expect(detour).not.toBe(owner);
    expect(b.pick(ts, all, 'user-42')?.id).toBe(owner);
  });

  it('should give weighted instances proportionally more keys', () => {
    const b = new ConsistentHashBalancer(160);
    const ts = [target('a', 1), target('b', 3)];
    const counts = tally(keys.map((k) => b.pick(ts, all, k)?.id));
    expect(counts.b / keys.length).toBeGreaterThan(0.65);
    expect(counts.b / keys.length).toBeLessThan(0.85);
  });
});

describe(HealthPreferenceBalancer.name, () => {
  it('should send all traffic to the healthy instances while one is degraded', () => {
    const b = new HealthPreferenceBalancer();
    const ts = [target('a', 1, 0, 0.6), target('b', 1, 0, 0), target('c', 1, 0, 0.02)];
    expect(tally(Array.from({ length: 100 }, () => b.pick(ts, all)?.id))).toEqual({ b: 50, c: 50 });
  });

  it('should fall back to a degraded instance when no healthier one is eligible', () => {
    const b = new HealthPreferenceBalancer();
    const ts = [target('a', 1, 0, 0.6), target('b', 1, 0, 0)];
    expect(b.pick(ts, (t) => t.id === 'a')?.id).toBe('a');
  });
});
