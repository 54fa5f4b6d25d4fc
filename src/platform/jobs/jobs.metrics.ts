import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../metrics';
import { ScalingSignals } from '../scaling';
import type { AttemptOutcome, JobKindStats } from './job-backend';

const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400];

/** Prometheus metrics of the jobs service, on the app's registry. */
@Injectable()
export class JobsMetrics {
  private readonly waitSeconds: Histogram<'kind'>;
  private readonly runSeconds: Histogram<'kind'>;
  private readonly outcomes: Counter<'kind' | 'outcome'>;
  private readonly retries: Counter<'kind'>;
  private readonly cancellations: Counter<'kind'>;
  private stats: () => Promise<JobKindStats[]> = () => Promise.resolve([]);
  private webSockets: () => number = () => 0;

  constructor(metrics: MetricsService, scaling: ScalingSignals) {
    const registers = [metrics.registry];
    // Gauges read the backend when scraped (cluster-wide on Redis), not per event.
    const read = () => this.stats().catch(() => [] as JobKindStats[]);
    scaling.addClusterSignal({
      name: 'jobs_backlog',
      perReplica: scaling.config.jobsBacklogPerReplica,
      read: async () => (await this.stats()).reduce((n, s) => n + s.queued, 0),
    });
    new Gauge({
      name: metrics.name('jobs_queued'),
      help: 'Jobs waiting to run, by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        for (const s of await read()) this.set({ kind: s.kind }, s.queued);
      },
    });
    new Gauge({
      name: metrics.name('jobs_running'),
      help: 'Jobs running, by kind',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        for (const s of await read()) this.set({ kind: s.kind }, s.running);
      },
    });
    // Scaling signals: how long the oldest due job has waited, and open WebSocket connections.
    new Gauge({
      name: metrics.name('jobs_oldest_queued_age_seconds'),
      help: 'Age of the oldest queued job that is due (not waiting for a retry backoff), by kind; 0 when none',
      labelNames: ['kind'],
      registers,
      async collect() {
        this.reset();
        const now = Date.now();
        for (const s of await read())
          this.set({ kind: s.kind }, s.oldestQueuedAt === undefined ? 0 : Math.max(0, now - s.oldestQueuedAt) / 1000);
      },
    });
    const sockets = () => this.webSockets();
    new Gauge({
      name: metrics.name('websocket_connections'),
      help: 'WebSocket connections open on this instance (jobs events at /jobs/ws)',
      registers,
      collect() {
        this.set(sockets());
      },
    });
    this.waitSeconds = new Histogram({
      name: metrics.name('jobs_wait_seconds'),
      help: 'Time from a job becoming due to its attempt starting, by kind',
      labelNames: ['kind'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.runSeconds = new Histogram({
      name: metrics.name('jobs_run_seconds'),
      help: 'Duration of job attempts run on this instance, by kind',
      labelNames: ['kind'],
      buckets: SECONDS_BUCKETS,
      registers,
    });
    this.outcomes = new Counter({
      name: metrics.name('jobs_attempts_total'),
      help: 'Ended job attempts, by kind and outcome (succeeded, failed, retrying, cancelled, timeout, handed_back)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.retries = new Counter({
      name: metrics.name('jobs_retries_total'),
      help: 'Failed attempts scheduled for a retry, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.cancellations = new Counter({
      name: metrics.name('jobs_cancellations_total'),
      help: 'Jobs cancelled, by kind',
      labelNames: ['kind'],
      registers,
    });
  }

  /** Where the queued/running gauges read from. */
  readStatsFrom(stats: () => Promise<JobKindStats[]>): void {
    this.stats = stats;
  }

  /** Where the WebSocket connections gauge reads from (the jobs gateway's server). */
  readWebSocketsFrom(count: () => number): void {
    this.webSockets = count;
  }

  started(kind: string, waitMs: number): void {
    this.waitSeconds.observe({ kind }, waitMs / 1000);
  }

  ended(kind: string, outcome: AttemptOutcome, runMs: number): void {
    this.outcomes.inc({ kind, outcome });
    if (outcome !== 'handed_back' && runMs > 0) this.runSeconds.observe({ kind }, runMs / 1000);
    if (outcome === 'retrying') this.retries.inc({ kind });
    if (outcome === 'cancelled') this.cancellations.inc({ kind });
  }
}
