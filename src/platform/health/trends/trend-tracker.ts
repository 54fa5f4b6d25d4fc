import type { CheckSample } from '../monitor/check-sample';
import { type CrossingPrediction, ewmaSeries, predictCrossing } from './least-squares';

/** Smoothing of the failure indicator before the fit: one failed check moves the rate by 30 %. */
export const FAILURE_EWMA_ALPHA = 0.3;

export interface TrendSettings {
  /** Newest samples the line is fitted over. */
  window: number;
  horizonMs: number;
  latencyThresholdMs: number;
  /** 0..1 */
  failureRateThreshold: number;
}

/** Trend figures of one service, as /health/predictive shows them. */
export interface ServiceTrend {
  service: string;
  samples: number;
  latency?: CrossingPrediction & { thresholdMs: number };
  failureRate?: CrossingPrediction & { threshold: number };
  /** A crossing predicted within the horizon. */
  predicted: boolean;
  /** Which metric, and when (epoch ms), if predicted. */
  crossing?: { metric: 'latency' | 'failureRate'; at: number };
  alertActive: boolean;
  firedAt?: number;
  clearedAt?: number;
}

export type TrendTransition = { kind: 'fire' | 'clear'; trend: ServiceTrend };

/**
 * Predictive monitoring per service: fits a least-squares line over the newest `window` samples of
 * check latency and of the failure rate (an EWMA of failed/ok, α = 0.3), extrapolates when each
 * reaches its threshold, and fires when a crossing is predicted within the horizon. It clears
 * when no crossing is predicted within the horizon any more (the trend flattened or turned down).
 */
export class TrendTracker {
  private readonly state = new Map<string, { active: boolean; firedAt?: number; clearedAt?: number }>();
  private readonly latest = new Map<string, ServiceTrend>();

  constructor(private readonly settings: TrendSettings) {}

  /** Re-evaluates `service` from its samples (oldest first); returns a fire/clear transition if any. */
  evaluate(service: string, samples: readonly CheckSample[], now: number): TrendTransition | undefined {
    const s = this.settings;
    const recent = samples.slice(Math.max(0, samples.length - s.window));
    const latency = predictCrossing(
      recent.map((x) => ({ t: x.at, v: x.latencyMs })),
      s.latencyThresholdMs,
      now,
    );
    const failure = predictCrossing(
      ewmaSeries(
        recent.map((x) => ({ t: x.at, v: x.failed ? 1 : 0 })),
        FAILURE_EWMA_ALPHA,
      ),
      s.failureRateThreshold,
      now,
    );
    const within = (p?: CrossingPrediction) => p?.etaMs !== null && p?.etaMs !== undefined && p.etaMs <= s.horizonMs;
    let crossing: ServiceTrend['crossing'];
    if (within(latency)) crossing = { metric: 'latency', at: now + latency!.etaMs! };
    if (within(failure) && (!crossing || now + failure!.etaMs! < crossing.at))
      crossing = { metric: 'failureRate', at: now + failure!.etaMs! };
    const st = this.state.get(service) ?? { active: false };
    this.state.set(service, st);
    let kind: TrendTransition['kind'] | undefined;
    if (crossing && !st.active) {
      st.active = true;
      st.firedAt = now;
      st.clearedAt = undefined;
      kind = 'fire';
    } else if (!crossing && st.active) {
      st.active = false;
      st.clearedAt = now;
      kind = 'clear';
    }
    const trend: ServiceTrend = {
      service,
      samples: recent.length,
      latency: latency && { ...latency, thresholdMs: s.latencyThresholdMs },
      failureRate: failure && { ...failure, threshold: s.failureRateThreshold },
      predicted: crossing !== undefined,
      crossing,
      alertActive: st.active,
      firedAt: st.firedAt,
      clearedAt: st.clearedAt,
    };
    this.latest.set(service, trend);
    return kind && { kind, trend };
  }

  /** The last evaluation of every service. */
  all(): ServiceTrend[] {
    return [...this.latest.values()];
  }

  get(service: string): ServiceTrend | undefined {
    return this.latest.get(service);
  }
}
