import {
  circuitBreaker,
  CircuitState,
  handleAll,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IHalfOpenAfterBackoffContext,
} from 'cockatiel';
import { OutlierState } from './outlier-detector';
import { ProbeState } from './probe-state';
import { SlidingWindowBreaker, type BreakerVerdict } from './sliding-window-breaker';
import type { BreakerOptions, UpstreamInstanceConfig } from './upstream.types';

export type BreakerStateName = 'closed' | 'open' | 'half_open' | 'isolated';

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

/** Weight of the newest outcome in the error score EWMA. */
const ERROR_EWMA_ALPHA = 0.2;

/** Default id: `host:port` of the URL, so metrics and logs never carry paths or credentials. */
export function instanceIdOf(config: UpstreamInstanceConfig): string {
  if (config.id) return config.id;
  const u = new URL(config.url);
  return u.port ? `${u.hostname}:${u.port}` : u.host;
}

/**
 * The open breaker's wait, cut short by a passed active probe. cockatiel reads `duration` each time
 * an OPEN breaker gates a call, so once `cut()` holds the next call is the HALF_OPEN trial.
 */
class ProbeShortenedWait implements IBackoff<IHalfOpenAfterBackoffContext> {
  constructor(
    private readonly waitMs: number,
    private readonly cut: () => boolean,
  ) {}

  get duration(): number {
    return this.cut() ? 0 : this.waitMs;
  }

  next(): IBackoff<IHalfOpenAfterBackoffContext> {
    return this;
  }
}

/** One upstream instance: its breaker, outlier record, active-probe state, in-flight count and error score. */
export class UpstreamInstance {
  readonly id: string;
  readonly url: URL;
  weight: number;
  outstanding = 0;
  /** Bulkhead slots held by reservations ({@link UpstreamPool.reserve}), on top of calls in flight. */
  reserved = 0;
  errorScore = 0;
  readonly outlier = new OutlierState();
  readonly probe = new ProbeState();
  readonly breaker: CircuitBreakerPolicy;
  readonly window: SlidingWindowBreaker;
  private openedAt = 0;
  /** An active probe passed since the breaker last opened: its wait is over. */
  private probePassedWhileOpen = false;

  constructor(
    config: UpstreamInstanceConfig,
    private readonly breakerOptions: BreakerOptions,
    onBreakerChange: (instance: UpstreamInstance, state: BreakerStateName) => void,
  ) {
    this.id = instanceIdOf(config);
    this.url = new URL(config.url);
    this.weight = config.weight ?? 1;
    // The window reads the policy's last failure, so it is created first and looks it up lazily.
    this.window = new SlidingWindowBreaker(breakerOptions, () => this.breaker?.lastFailure);
    // Every error is "handled" so cockatiel never takes its unhandled-error path, which would
    // CLOSE a HALF_OPEN breaker when its trial call is merely aborted by the caller. The window
    // ignores caller aborts in CLOSED; an aborted trial re-opens the breaker for another wait.
    this.breaker = circuitBreaker(
      handleAll.orWhenResult((r) => (r as BreakerVerdict).failed || (r as BreakerVerdict).slow),
      {
        halfOpenAfter: new ProbeShortenedWait(breakerOptions.openWaitMs, () => this.probePassedWhileOpen),
        breaker: this.window,
      },
    );
    this.breaker.onStateChange((s) => {
      if (s === CircuitState.Open) {
        this.openedAt = Date.now();
        this.probePassedWhileOpen = false;
      }
      onBreakerChange(this, STATE_NAMES[s]);
    });
  }

  get breakerState(): BreakerStateName {
    return STATE_NAMES[this.breaker.state];
  }

  /**
   * May a call be sent here now? OPEN becomes usable once its wait is over (that call is the
   * HALF_OPEN trial); HALF_OPEN is not, because cockatiel would park the call behind the trial.
   */
  breakerAdmits(now: number): boolean {
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return true;
      case CircuitState.Open:
        return this.probePassedWhileOpen || now - this.openedAt >= this.breakerOptions.openWaitMs;
      case CircuitState.HalfOpen:
      case CircuitState.Isolated:
        return false;
    }
  }

  /** Not ejected and the breaker admits calls: what real traffic (passive health) says. */
  passivelyUp(now: number): boolean {
    return !this.outlier.isEjected(now) && this.breakerAdmits(now);
  }

  /** Passively up and not failing its active probe: counts as "up" in health and `/upstreams`. */
  isUp(now: number): boolean {
    return this.passivelyUp(now) && !this.probe.failing;
  }

  /** When this instance can next take a call (ms epoch), for Retry-After. */
  availableAt(now: number): number {
    let at = now;
    if (this.outlier.isEjected(now)) at = Math.max(at, this.outlier.ejectedUntil);
    if (this.breaker.state === CircuitState.Open && !this.probePassedWhileOpen)
      at = Math.max(at, this.openedAt + this.breakerOptions.openWaitMs);
    return at;
  }

  /**
   * An active probe passed (Envoy's active health checking un-ejects a host the same way): an
   * outlier ejection ends, and an OPEN breaker's wait is over, so the next call is its HALF_OPEN
   * trial. Service resumes within one probe interval, not after the whole open wait; a trial that
   * fails opens the breaker again for a full wait (or until the next passed probe).
   * Returns what it cut short.
   */
  probePassed(now: number): { breaker: boolean; ejection: boolean } {
    const breaker = this.breaker.state === CircuitState.Open && !this.probePassedWhileOpen;
    if (breaker) this.probePassedWhileOpen = true;
    const ejection = this.outlier.isEjected(now);
    if (ejection) {
      this.outlier.ejectedUntil = now;
      this.outlier.lastEjectionEnd = now;
    }
    return { breaker, ejection };
  }

  /** An active probe failed: a wait cut short by an earlier passed probe applies again. */
  probeFailed(): void {
    this.probePassedWhileOpen = false;
  }

  noteOutcome(failed: boolean): void {
    this.errorScore = this.errorScore * (1 - ERROR_EWMA_ALPHA) + (failed ? ERROR_EWMA_ALPHA : 0);
  }

  /** Resolves `path` (which may carry a query) against this instance's base URL. */
  resolve(path: string): URL {
    const base = this.url.href.endsWith('/') ? this.url.href : `${this.url.href}/`;
    return new URL(path.replace(/^\//, ''), base);
  }
}
