import { SingleFlightCache } from './single-flight-cache';

describe(SingleFlightCache.name, () => {
  let now = 0;
  const cache = () => new SingleFlightCache<number>(() => now);

  beforeEach(() => (now = 1_000));

  it('should share one in-flight run among concurrent callers', async () => {
    const c = cache();
    let runs = 0;
    let release!: (v: number) => void;
    const run = () => {
      runs++;
      return new Promise<number>((r) => (release = r));
    };
    const all = Promise.all(Array.from({ length: 50 }, () => c.get('a', 1000, run)));
    release(7);
    expect(await all).toEqual(Array(50).fill(7));
    expect(runs).toBe(1);
  });

  it('should reuse a result for its TTL and run again after it', async () => {
    const c = cache();
    let runs = 0;
    const run = () => Promise.resolve(++runs);
    expect(await c.get('a', 1000, run)).toBe(1);
    now += 999;
    expect(await c.get('a', 1000, run)).toBe(1);
    now += 1;
    expect(await c.get('a', 1000, run)).toBe(2);
    expect(runs).toBe(2);
  });

  it('should keep keys apart and run again after invalidate', async () => {
    const c = cache();
    let runs = 0;
    const run = () => Promise.resolve(++runs);
    await c.get('a', 1000, run);
    await c.get('b', 1000, run);
    c.invalidate('a');
    expect(await c.get('a', 1000, run)).toBe(3);
    expect(c.peek('b')).toBe(2);
  });

  it('should not store a run that was in flight when the key was invalidated, and start a fresh one', async () => {
    const c = cache();
    let release!: (v: number) => void;
    const stale = c.get('a', 1000, () => new Promise<number>((r) => (release = r)));
    c.invalidate('a');
    let runs = 0;
    const fresh = c.get('a', 1000, () => Promise.resolve(100 + ++runs));
    release(1);
    expect(await stale).toBe(1);
    expect(await fresh).toBe(101);
    expect(await c.get('a', 1000, () => Promise.resolve(-1))).toBe(101);
    expect(runs).toBe(1);
  });

  it('should not cache a rejection', async () => {
    const c = cache();
    await expect(c.get('a', 1000, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await c.get('a', 1000, () => Promise.resolve(1))).toBe(1);
  });
});
