import { createHash } from 'node:crypto';
import type { Balancer, BalancerTarget, RandomSource } from './balancer';

function hash32(value: string): number {
  return createHash('md5').update(value).digest().readUInt32BE(0);
}

/**
 * Ring hash (Envoy RING_HASH / Karger et al.): each instance owns `virtualNodes × weight` points
 * on a 32-bit ring; a key goes to the first point clockwise from its hash. A key keeps its
 * instance while that instance is eligible; when it is not, the key walks on to the next
 * instance on the ring, and only keys owned by an added/removed instance move. Calls without a
 * key are spread at random.
 */
export class ConsistentHashBalancer implements Balancer {
  private ring: { point: number; id: string }[] = [];
  private builtFor = '';

  constructor(
    private readonly virtualNodes = 160,
    private readonly random: RandomSource = Math.random,
  ) {}

  pick<T extends BalancerTarget>(targets: readonly T[], eligible: (t: T) => boolean, hashKey?: string): T | undefined {
    if (hashKey === undefined) {
      const pool = targets.filter(eligible);
      return pool[Math.floor(this.random() * pool.length)];
    }
    this.ensureRing(targets);
    const byId = new Map(targets.map((t) => [t.id, t]));
    const start = this.firstPointAtOrAfter(hash32(hashKey));
    const seen = new Set<string>();
    for (let i = 0; i < this.ring.length && seen.size < byId.size; i++) {
      const id = this.ring[(start + i) % this.ring.length].id;
      if (seen.has(id)) continue;
      seen.add(id);
      const t = byId.get(id);
      if (t !== undefined && eligible(t)) return t;
    }
    return undefined;
  }

  reset(targets: readonly BalancerTarget[]): void {
    this.builtFor = '';
    this.ensureRing(targets);
  }

  private ensureRing(targets: readonly BalancerTarget[]): void {
    const signature = targets.map((t) => `${t.id}*${t.weight}`).join(',');
    if (signature === this.builtFor) return;
    const ring: { point: number; id: string }[] = [];
    for (const t of targets) {
      const points = Math.max(1, Math.round(this.virtualNodes * t.weight));
      for (let v = 0; v < points; v++) ring.push({ point: hash32(`${t.id}#${v}`), id: t.id });
    }
    ring.sort((a, b) => a.point - b.point || (a.id < b.id ? -1 : 1));
    this.ring = ring;
    this.builtFor = signature;
  }

  private firstPointAtOrAfter(h: number): number {
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid].point < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.ring.length ? 0 : lo;
  }
}
