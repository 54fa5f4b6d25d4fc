import type { Balancer, BalancerTarget } from './balancer';

/** Instances whose error score is within this of the best count as equally healthy. */
const HEALTH_BAND = 0.05;

/**
 * Prefers the healthiest instances: only those whose recent error score (EWMA) is within a small
 * band of the best eligible one get traffic, in turn; a degraded instance is used only when no
 * healthier one is eligible. Suits primary/fallback setups and flaky instances that are not bad
 * enough to trip a breaker.
 */
export class HealthPreferenceBalancer implements Balancer {
  private cursor = 0;

  pick<T extends BalancerTarget>(targets: readonly T[], eligible: (t: T) => boolean): T | undefined {
    let best = Infinity;
    for (const t of targets) if (eligible(t) && t.errorScore < best) best = t.errorScore;
    if (best === Infinity) return undefined;
    const n = targets.length;
    for (let i = 0; i < n; i++) {
      const t = targets[(this.cursor + i) % n];
      if (eligible(t) && t.errorScore <= best + HEALTH_BAND) {
        this.cursor = (this.cursor + i + 1) % n;
        return t;
      }
    }
    return undefined;
  }
}
