import type { ProbeStatus } from './probe-state';
import type { BreakerStateName, UpstreamInstance } from './upstream-instance';

/** Per-instance view for `/upstreams` and health details. */
export interface UpstreamInstanceSnapshot {
  id: string;
  url: string;
  weight: number;
  up: boolean;
  breaker: BreakerStateName;
  ejected: boolean;
  ejectedUntil?: string;
  ejections: number;
  /** Last active-probe result reported by a health checker (`unknown` until one reports). */
  probe: ProbeStatus;
  probedAt?: string;
  probeDetail?: string;
  outstanding: number;
  consecutiveFailures: number;
  errorScore: number;
  windowCalls: number;
  failureRate: number;
  slowCallRate: number;
}

export interface UpstreamPoolSnapshot {
  name: string;
  strategy: string;
  up: number;
  total: number;
  /** No instance is up, yet calls still go to instances held back only by a failed probe. */
  panic: boolean;
  instances: UpstreamInstanceSnapshot[];
}

/** The per-instance view of one instance at `now`. */
export function instanceSnapshot(i: UpstreamInstance, now: number): UpstreamInstanceSnapshot {
  const ejected = i.outlier.isEjected(now);
  const rates = i.window.rates;
  return {
    id: i.id,
    url: i.url.origin + i.url.pathname.replace(/\/$/, ''),
    weight: i.weight,
    up: i.isUp(now),
    breaker: i.breakerState,
    ejected,
    ejectedUntil: ejected ? new Date(i.outlier.ejectedUntil).toISOString() : undefined,
    ejections: i.outlier.times,
    probe: i.probe.status,
    probedAt: i.probe.at > 0 ? new Date(i.probe.at).toISOString() : undefined,
    probeDetail: i.probe.detail,
    outstanding: i.outstanding,
    consecutiveFailures: i.outlier.consecutiveFailures,
    errorScore: Number(i.errorScore.toFixed(3)),
    windowCalls: rates.calls,
    failureRate: Number(rates.failureRate.toFixed(3)),
    slowCallRate: Number(rates.slowCallRate.toFixed(3)),
  };
}
