import type { Balancer, BalancerTarget, RandomSource } from './balancer';

/** Weighted random choice among eligible instances. */
export class RandomBalancer implements Balancer {
  constructor(private readonly random: RandomSource = Math.random) {}

  pick<T extends BalancerTarget>(targets: readonly T[], eligible: (t: T) => boolean): T | undefined {
    const pool = targets.filter(eligible);
    const total = pool.reduce((s, t) => s + t.weight, 0);
    let r = this.random() * total;
    for (const t of pool) {
      r -= t.weight;
      if (r < 0) return t;
    }
    return pool[pool.length - 1];
  }
}
