import type { Balancer, BalancerTarget, RandomSource } from './balancer';

/**
 * Least outstanding requests with the power of two choices (Envoy's LEAST_REQUEST): sample two
 * distinct eligible instances at random and take the one with fewer calls in flight per unit of
 * weight. Nearly as good as scanning for the global minimum, without herding every caller onto
 * the same momentarily idle instance.
 */
export class LeastOutstandingBalancer implements Balancer {
  constructor(private readonly random: RandomSource = Math.random) {}

  pick<T extends BalancerTarget>(targets: readonly T[], eligible: (t: T) => boolean): T | undefined {
    const pool = targets.filter(eligible);
    if (pool.length <= 1) return pool[0];
    const i = Math.floor(this.random() * pool.length);
    let j = Math.floor(this.random() * (pool.length - 1));
    if (j >= i) j++;
    const a = pool[i];
    const b = pool[j];
    return b.outstanding / b.weight < a.outstanding / a.weight ? b : a;
  }
}
