/** What a balancing strategy may look at on an instance. */
export interface BalancerTarget {
  readonly id: string;
  readonly weight: number;
  /** Calls in flight (headers or body). */
  readonly outstanding: number;
  /** 0 = no recent failures … 1 = everything recently failed (EWMA). */
  readonly errorScore: number;
}

/**
 * Picks one instance for a call. `targets` is the pool's full, stable instance list (so stateful
 * strategies keep their place); `eligible` says which may be used for this attempt (not ejected,
 * circuit not open, bulkhead not full, not already tried).
 */
export interface Balancer {
  pick<T extends BalancerTarget>(targets: readonly T[], eligible: (t: T) => boolean, hashKey?: string): T | undefined;
  /** The instance list changed (added/removed); rebuild any derived state. */
  reset?(targets: readonly BalancerTarget[]): void;
}

/** A [0, 1) random source; injectable so distribution tests are deterministic. */
export type RandomSource = () => number;
