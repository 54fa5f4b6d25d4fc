import { SeededReservoir } from './sampling';

function sample(size: number, n: number, seed: number): number[] {
  const r = new SeededReservoir<number>(size, seed);
  for (let i = 0; i < n; i++) r.offer(i);
  return r.sample();
}

describe(SeededReservoir.name, () => {
  it('should keep everything when the stream is shorter than the sample', () => {
    expect(sample(10, 4, 1)).toEqual([0, 1, 2, 3]);
  });

  it('should give the same sample for the same seed and another for another seed', () => {
    expect(sample(50, 1_000, 7)).toEqual(sample(50, 1_000, 7));
    expect(sample(50, 1_000, 7)).not.toEqual(sample(50, 1_000, 8));
    expect(new Set(sample(50, 1_000, 7)).size).toBe(50);
  });

  it('should not favour the newest (or oldest) items: every position is about as likely', () => {
    const n = 100;
    const hits = new Array<number>(n).fill(0);
    const runs = 2_000;
    for (let seed = 0; seed < runs; seed++) for (const i of sample(10, n, seed)) hits[i]++;
    // Expected 200 per item (10/100 of 2,000 runs); binomial sd ≈ 13.4.
    const quarter = (q: number) => hits.slice(q * 25, (q + 1) * 25).reduce((s, v) => s + v, 0) / 25;
    for (let q = 0; q < 4; q++) expect(quarter(q)).toBeGreaterThan(185);
    for (let q = 0; q < 4; q++) expect(quarter(q)).toBeLessThan(215);
    expect(Math.min(...hits)).toBeGreaterThan(140);
    expect(Math.max(...hits)).toBeLessThan(260);
  });
});
