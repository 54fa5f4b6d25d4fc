import { isAvailableStatus } from '../checks/health-status';
import type { CheckSample } from './check-sample';
import { RingBuffer } from './ring-buffer';

const FIVE_MIN_MS = 5 * 60_000;
const ONE_HOUR_MS = 60 * 60_000;

/** Check figures of one service, as /health/metrics shows them. */
export interface ServiceCheckStats {
  checks: number;
  failures: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  /** Fraction of sampled checks that were UP or DEGRADED; null without samples in the window. */
  availability: { last5m: number | null; last1h: number | null };
  /** Failed fraction of the samples in the last 5 minutes (null without samples). */
  failureRate5m: number | null;
  samples: number;
  lastCheckAt?: number;
}

/**
 * Per-service bounded history of executed checks (one ring buffer each) plus lifetime counters.
 * Availability and percentiles are computed over what the buffer still holds.
 */
export class HealthHistory {
  private readonly buffers = new Map<string, RingBuffer<CheckSample>>();
  private readonly totals = new Map<string, { checks: number; failures: number }>();

  constructor(private readonly capacity: number) {}

  record(service: string, sample: CheckSample): void {
    let buffer = this.buffers.get(service);
    if (!buffer) this.buffers.set(service, (buffer = new RingBuffer(this.capacity)));
    buffer.push(sample);
    const total = this.totals.get(service) ?? { checks: 0, failures: 0 };
    total.checks++;
    if (sample.failed) total.failures++;
    this.totals.set(service, total);
  }

  samples(service: string): CheckSample[] {
    return this.buffers.get(service)?.toArray() ?? [];
  }

  /** The newest `n` samples, oldest first. */
  recent(service: string, n: number): CheckSample[] {
    return this.buffers.get(service)?.last(n) ?? [];
  }

  services(): string[] {
    return [...this.buffers.keys()];
  }

  stats(service: string, now = Date.now()): ServiceCheckStats {
    const samples = this.samples(service);
    const total = this.totals.get(service) ?? { checks: 0, failures: 0 };
    const latencies = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
    const in5m = samples.filter((s) => now - s.at <= FIVE_MIN_MS);
    const in1h = samples.filter((s) => now - s.at <= ONE_HOUR_MS);
    return {
      checks: total.checks,
      failures: total.failures,
      latencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) },
      availability: { last5m: availability(in5m), last1h: availability(in1h) },
      failureRate5m: in5m.length === 0 ? null : in5m.filter((s) => s.failed).length / in5m.length,
      samples: samples.length,
      lastCheckAt: samples.at(-1)?.at,
    };
  }
}

/** Nearest-rank percentile of sorted values (null when empty). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function availability(samples: CheckSample[]): number | null {
  if (samples.length === 0) return null;
  return samples.filter((s) => isAvailableStatus(s.status)).length / samples.length;
}
