import type { Balancer, BalancerTarget } from './balancer';

/** Each eligible instance in turn, ignoring weights. */
export class RoundRobinBalancer implements Balancer {
  private cursor = 0;

  pick<T extends BalancerTarget>(targets: readonly T[], eligible: (t: T) => boolean): T | undefined {
    const n = targets.length;
    for (let i = 0; i < n; i++) {
      const t = targets[(this.cursor + i) % n];
      if (eligible(t)) {
        this.cursor = (this.cursor + i + 1) % n;
        return t;
      }
    }
    return undefined;
  }
}
