import type { OutlierOptions } from './upstream.types';

/** Per-instance consecutive-failure record and ejection window. */
export class OutlierState {
  consecutiveFailures = 0;
  /** How many times ejected; the next ejection lasts (times + 1) × base. */
  times = 0;
  ejectedUntil = 0;
  lastEjectionEnd = 0;

  isEjected(now: number): boolean {
    return now < this.ejectedUntil;
  }
}

/**
 * Envoy-style outlier detection: `consecutiveFailures` failures in a row eject an instance for
 * base × n (n-th ejection, capped at max). An instance that stayed in for `maxEjectionMs` since
 * its last ejection ended starts again from the base time. At most `maxEjectionShare` of the
 * instances (rounded down) are ejected at once, so a pool-wide outage is left to the breakers
 * and the caller's error rather than emptying the pool.
 */
export class OutlierDetector {
  constructor(private readonly options: OutlierOptions) {}

  /** Records a success; returns nothing to do. */
  success(state: OutlierState): void {
    state.consecutiveFailures = 0;
  }

  /**
   * Records a failure; returns the ejection duration when this failure ejects the instance.
   * `ejectedNow` is how many of the pool's `total` instances are ejected at this moment.
   */
  failure(state: OutlierState, now: number, ejectedNow: number, total: number): number | undefined {
    state.consecutiveFailures++;
    if (state.isEjected(now) || state.consecutiveFailures < this.options.consecutiveFailures) return undefined;
    if (ejectedNow + 1 > Math.floor(total * this.options.maxEjectionShare)) return undefined;
    if (state.times > 0 && now - state.lastEjectionEnd >= this.options.maxEjectionMs) state.times = 0;
    state.times++;
    const duration = Math.min(this.options.baseEjectionMs * state.times, this.options.maxEjectionMs);
    state.ejectedUntil = now + duration;
    state.lastEjectionEnd = state.ejectedUntil;
    state.consecutiveFailures = 0;
    return duration;
  }
}
