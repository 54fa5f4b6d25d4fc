import type { Balancer, BalancerTarget } from './balancer';

/**
 * nginx's smooth weighted round robin: every pick adds each eligible instance's weight to its
 * current weight, takes the largest, and subtracts the total from the winner. Over a cycle of
 * sum(weights) picks each instance is chosen exactly `weight` times, interleaved (5,1,1 gives
 * a a b a c a a, not a a a a a b c).
 */
export class SmoothWeightedBalancer implements Balancer {
  private readonly current = new Map<string, number>();

  pick<T extends BalancerTarget>(targets: readonly T[], eligible: (t: T) => boolean): T | undefined {
    let best: T | undefined;
    let bestCurrent = -Infinity;
    let total = 0;
    for (const t of targets) {
      if (!eligible(t)) continue;
      const cw = (this.current.get(t.id) ?? 0) + t.weight;
      this.current.set(t.id, cw);
      total += t.weight;
      if (cw > bestCurrent) {
        best = t;
        bestCurrent = cw;
      }
    }
    if (best !== undefined) this.current.set(best.id, bestCurrent - total);
    return best;
  }

  reset(targets: readonly BalancerTarget[]): void {
    const ids = new Set(targets.map((t) => t.id));
    for (const id of this.current.keys()) if (!ids.has(id)) this.current.delete(id);
  }
}
