import { CircuitState, type FailureReason, type IBreaker } from 'cockatiel';
import { UpstreamCallAbortedError } from './upstream.errors';

/** What a call's result says about the instance; returned by the pool's call into the breaker. */
export interface BreakerVerdict {
  /** The instance answered with a server error. */
  failed: boolean;
  /** The instance took longer than the slow-call threshold to answer. */
  slow: boolean;
}

const FAILED = 1;
const SLOW = 2;

/**
 * Count-based sliding window with separate failure-rate and slow-call-rate thresholds and a
 * minimum call count (resilience4j's semantics).
 *
 * Why this exists: cockatiel 3's breakers (Count/Sampling/Consecutive) know only "success" or
 * "failure"; none has a slow-call rate. cockatiel lets a *result* count as a failure
 * (`handleWhenResult`), and stores the failure in `policy.lastFailure` right before it calls
 * `breaker.failure()` (synchronously, in the same tick), so this breaker reads that to tell a
 * thrown error or 5xx (failure) from a slow-but-good answer (slow) and keeps both rates.
 * cockatiel still owns the state machine: CLOSED → OPEN → (after the wait) HALF_OPEN with one
 * trial call → CLOSED or OPEN.
 */
export class SlidingWindowBreaker implements IBreaker {
  private samples: Uint8Array;
  private next = 0;
  private count = 0;
  private failures = 0;
  private slows = 0;

  constructor(
    private readonly options: {
      windowSize: number;
      minimumCalls: number;
      failureRateThreshold: number;
      slowCallRateThreshold: number;
    },
    private readonly lastFailure: () => FailureReason<unknown> | undefined,
  ) {
    this.samples = new Uint8Array(options.windowSize);
  }

  get state(): unknown {
    return { samples: [...this.samples], next: this.next, count: this.count };
  }

  set state(value: unknown) {
    const v = value as { samples: number[]; next: number; count: number };
    this.reset();
    this.samples = Uint8Array.from(v.samples);
    this.next = v.next;
    this.count = v.count;
    for (const s of this.samples.subarray(0, this.count)) this.tally(s, 1);
  }

  /** Failure and slow-call rates over the window (0 when empty). */
  get rates(): { calls: number; failureRate: number; slowCallRate: number } {
    const calls = this.count;
    return { calls, failureRate: calls ? this.failures / calls : 0, slowCallRate: calls ? this.slows / calls : 0 };
  }

  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) this.reset();
    else this.record(0);
  }

  failure(state: CircuitState): boolean {
    if (state === CircuitState.HalfOpen) {
      this.reset();
      return true;
    }
    const reason = this.lastFailure();
    if (reason !== undefined && 'error' in reason && reason.error instanceof UpstreamCallAbortedError) return false;
    let sample = FAILED;
    if (reason !== undefined && 'value' in reason) {
      const verdict = reason.value as BreakerVerdict;
      sample = (verdict.failed ? FAILED : 0) | (verdict.slow ? SLOW : 0);
    }
    this.record(sample);
    const { calls, failureRate, slowCallRate } = this.rates;
    if (calls < this.options.minimumCalls) return false;
    const open = failureRate >= this.options.failureRateThreshold || slowCallRate >= this.options.slowCallRateThreshold;
    if (open) this.reset();
    return open;
  }

  private record(sample: number): void {
    const size = this.samples.length;
    if (this.count === size) this.tally(this.samples[this.next], -1);
    else this.count++;
    this.samples[this.next] = sample;
    this.tally(sample, 1);
    this.next = (this.next + 1) % size;
  }

  private tally(sample: number, delta: number): void {
    if (sample & FAILED) this.failures += delta;
    if (sample & SLOW) this.slows += delta;
  }

  private reset(): void {
    this.samples.fill(0);
    this.next = 0;
    this.count = 0;
    this.failures = 0;
    this.slows = 0;
  }
}
