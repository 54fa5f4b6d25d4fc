import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { SERVICE_STATES, type ServiceState } from './managed-service.types';

/** Never scraped (metrics off): observations are applied in batches of this size instead. */
const MAX_PENDING = 50_000;
const START_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

/** `fennec_registry_services{state}` and `fennec_registry_service_start_duration_seconds{service}`. */
@Injectable()
export class RegistryMetrics {
  private counts?: () => Record<ServiceState, number>;
  /** Observations wait here until a scrape: with thousands of services, boot should not pay for buckets. */
  private pendingStarts: [string, number][] = [];
  private readonly startDuration: Histogram<'service'>;

  constructor(metrics: MetricsService) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: metrics.name('registry_services'),
      help: 'Managed services by lifecycle state',
      labelNames: ['state'],
      registers: [metrics.registry],
      collect() {
        const counts = self.counts?.();
        for (const state of SERVICE_STATES) this.set({ state }, counts?.[state] ?? 0);
      },
    });
    this.startDuration = new Histogram({
      name: metrics.name('registry_service_start_duration_seconds'),
      help: 'Duration of managed service start hooks that succeeded, by service',
      labelNames: ['service'],
      buckets: START_BUCKETS_SECONDS,
      registers: [metrics.registry],
      collect() {
        self.flushStarts();
      },
    });
  }

  /** Where the state gauge reads its counts at scrape time. */
  countStatesWith(counts: () => Record<ServiceState, number>): void {
    this.counts = counts;
  }

  observeStart(service: string, seconds: number): void {
    this.pendingStarts.push([service, seconds]);
    if (this.pendingStarts.length >= MAX_PENDING) this.flushStarts();
  }

  private flushStarts(): void {
    const pending = this.pendingStarts;
    this.pendingStarts = [];
    for (const [service, seconds] of pending) this.startDuration.observe({ service }, seconds);
  }
}
