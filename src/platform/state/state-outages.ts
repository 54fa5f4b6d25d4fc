import { Injectable, Logger, Optional } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

/** What a feature did without shared state: went on without it (`open`) or refused (`closed`). */
export type StateOutageOutcome = 'open' | 'closed';

/** One warn line per feature and outcome at most this often; the others are counted into it. */
const LOG_EVERY_MS = 10_000;

/**
 * Records what features did while shared state (Redis) was unavailable: counted in
 * `fennec_state_unavailable_total{feature,outcome}` and logged at warn, one line per feature and
 * outcome per 10 s with how many happened since (an outage under load would otherwise log a line
 * per request). Each feature's policy is listed in docs/operations.md.
 */
@Injectable()
export class StateOutages {
  private readonly logger = new Logger('state');
  private readonly counter?: Counter<'feature' | 'outcome'>;
  private readonly logged = new Map<string, { at: number; suppressed: number }>();

  constructor(@Optional() metrics?: MetricsService) {
    if (!metrics) return;
    this.counter = new Counter({
      name: metrics.name('state_unavailable_total'),
      help: 'Operations done without shared state (Redis unavailable), by feature and outcome (open: went on without it, closed: refused)',
      labelNames: ['feature', 'outcome'],
      registers: [metrics.registry],
    });
  }

  /** `feature` went on without shared state (`open`) or refused (`closed`) because of `err`. */
  record(feature: string, outcome: StateOutageOutcome, err: unknown): void {
    this.counter?.inc({ feature, outcome });
    const key = `${feature}:${outcome}`;
    const now = Date.now();
    const last = this.logged.get(key);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.suppressed++;
      return;
    }
    this.logged.set(key, { at: now, suppressed: 0 });
    this.logger.warn(
      { feature, outcome, err: err instanceof Error ? err.message : String(err), since: last?.suppressed ?? 0 },
      `${feature} ${outcome === 'open' ? 'went on without' : 'refused without'} shared state (unavailable)`,
    );
  }
}

/** True for the error a {@link StateStore} rejects with when its backend is unreachable. */
export function isStateUnavailable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'STATE.UNAVAILABLE';
}
