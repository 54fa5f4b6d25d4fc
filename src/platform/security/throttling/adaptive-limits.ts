/**
 * The adaptive-limit algorithm, as pure functions of time (docs/security.md explains it).
 *
 * effective limit = max(1, floor(configured × pressure × trust))
 *
 * - pressure ∈ [minFactor, 1] follows this process's load: the target is the smaller of
 *   lagThreshold / lagP99 and inFlightThreshold / inFlight (1 when under both thresholds).
 *   It drops to a lower target at once and climbs back by at most `relaxPerSecond` per second.
 * - trust ∈ [minFactor, 1] follows the client's security events: each adds a weighted penalty
 *   that halves every `halfLifeMs`; trust = 1 / (1 + penalty).
 */

export interface PressureSettings {
  lagThresholdMs: number;
  inFlightThreshold: number;
  minFactor: number;
  relaxPerSecond: number;
}

export interface PressureSample {
  lagP99Ms: number;
  inFlight: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The factor the current load asks for, before smoothing. */
export function pressureTarget(sample: PressureSample, s: PressureSettings): number {
  const lag = sample.lagP99Ms > s.lagThresholdMs ? s.lagThresholdMs / sample.lagP99Ms : 1;
  const load = sample.inFlight > s.inFlightThreshold ? s.inFlightThreshold / sample.inFlight : 1;
  return clamp(Math.min(lag, load), s.minFactor, 1);
}

/** Tightens immediately, relaxes gradually: a load spike cannot be waited out by one quiet second. */
export class PressureFactor {
  private value = 1;
  private at: number;

  constructor(
    private readonly settings: PressureSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.at = now();
  }

  update(sample: PressureSample): number {
    const t = this.now();
    const target = pressureTarget(sample, this.settings);
    const elapsedS = Math.max(0, t - this.at) / 1000;
    this.value = target <= this.value ? target : Math.min(target, this.value + this.settings.relaxPerSecond * elapsedS);
    this.at = t;
    return this.value;
  }
}

/** A penalty `p` recorded at `since` has decayed to this by `now`. */
export function decayedPenalty(p: number, since: number, now: number, halfLifeMs: number): number {
  return p * 2 ** (-Math.max(0, now - since) / halfLifeMs);
}

export function trustFactor(penalty: number, minFactor: number): number {
  return clamp(1 / (1 + penalty), minFactor, 1);
}

export function effectiveLimit(limit: number, pressure: number, trust: number): number {
  return Math.max(1, Math.floor(limit * pressure * trust));
}
