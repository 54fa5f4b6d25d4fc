import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { sensorsConfig, type SensorsConfig } from './sensors.config';

/** What the watchdog saw, in milliseconds. */
export interface WatchdogReading {
  /** How late the loop is right now: time since its last turn beyond the heartbeat interval. */
  currentStallMs: number;
  /** The last stall of at least `limitMs`, while it is recent (ended less than `limitMs` ago); else 0. */
  recentStallMs: number;
  limitMs: number;
  /** The loop is stalled, or recently was, for at least `limitMs`. */
  wedged: boolean;
}

/**
 * Watches for a wedged event loop from heartbeats: each turn records how late it came. A stall of
 * at least `limitMs` stays visible for another `limitMs` after the loop turns again, so a loop that
 * keeps wedging does not look healthy in the short gaps between its wedges. Time comes from `now`
 * so tests drive it without blocking a real loop.
 */
export class StallTracker {
  private lastTurnAt: number;
  private stall?: { ms: number; endedAt: number };

  constructor(
    private readonly limitMs: number,
    private readonly intervalMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastTurnAt = now();
  }

  /** One heartbeat; returns the stall it ended (≥ `limitMs`), if any. */
  turn(): number | undefined {
    const now = this.now();
    const stallMs = Math.max(0, now - this.lastTurnAt - this.intervalMs);
    this.lastTurnAt = now;
    if (stallMs < this.limitMs) return undefined;
    this.stall = { ms: stallMs, endedAt: now };
    return stallMs;
  }

  read(): WatchdogReading {
    const now = this.now();
    const currentStallMs = Math.max(0, now - this.lastTurnAt - this.intervalMs);
    const recentStallMs = this.stall && now - this.stall.endedAt < this.limitMs ? this.stall.ms : 0;
    return {
      currentStallMs,
      recentStallMs,
      limitMs: this.limitMs,
      wedged: currentStallMs >= this.limitMs || recentStallMs >= this.limitMs,
    };
  }
}

/**
 * Liveness' only signal: a heartbeat timer on the event loop it watches. Lag under CPU contention
 * delays heartbeats by milliseconds to seconds; only a loop that does not turn for
 * HEALTH_LIVENESS_STALL_MS (30 s by default) counts as wedged.
 *
 * Why on the main thread and not in a worker: the probe is answered by this same loop, so while it
 * is wedged nothing in the process can answer and the orchestrator's probe timeout is what fails;
 * once the loop turns again, the delayed probe and the ones after it read the stall here.
 */
@Injectable()
export class EventLoopWatchdog implements OnModuleDestroy {
  private readonly logger = new Logger('health');
  private readonly tracker: StallTracker;
  private readonly timer: NodeJS.Timeout;

  constructor(@Inject(sensorsConfig.KEY) config: SensorsConfig) {
    const intervalMs = Math.min(1000, Math.floor(config.livenessStallMs / 10));
    this.tracker = new StallTracker(config.livenessStallMs, intervalMs);
    this.timer = setInterval(() => this.beat(), intervalMs);
    this.timer.unref();
  }

  read(): WatchdogReading {
    return this.tracker.read();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private beat(): void {
    const stalled = this.tracker.turn();
    if (stalled !== undefined)
      this.logger.error({ stallMs: Math.round(stalled) }, `event loop did not turn for ${Math.round(stalled)} ms`);
  }
}
