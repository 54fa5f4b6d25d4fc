import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { Subject, type Subscription } from 'rxjs';
import { MetricsService } from '../../metrics/metrics.service';
import type { ServiceHealthReport } from '../../registry/managed-service.types';
import { ServiceNotFoundError } from '../../registry/registry.errors';
import { ServiceRegistry } from '../../registry/service-registry';
import type { CheckSample } from '../monitor/check-sample';
import { HealthHistory } from '../monitor/health-history';
import { SingleFlightCache } from './single-flight-cache';

/** A service's own health (before dependency rules), with when it was checked. */
export interface CheckedReport extends ServiceHealthReport {
  checkedAt: number;
  latencyMs: number;
}

/**
 * Runs services' `checkHealth()` (through the registry, under their `healthTimeoutMs`: a slow
 * check is DOWN "timeout"), caches each result for the service's `healthTtlMs` and shares one
 * in-flight check among concurrent callers. Every executed check is recorded in the history and
 * announced on {@link samples$}. Every lifecycle transition the registry announces invalidates the
 * service's cached result at once, so health never reports a state the service has left.
 */
@Injectable()
export class ServiceHealthChecker implements OnModuleDestroy {
  private readonly cache = new SingleFlightCache<CheckedReport>();
  private readonly sampled = new Subject<{ service: string; sample: CheckSample }>();
  private readonly checks: Counter<'service' | 'status'>;
  private readonly duration: Histogram<'service'>;
  private readonly transitions: Subscription;

  /** Each executed check (not cache hits). */
  readonly samples$ = this.sampled.asObservable();

  constructor(
    private readonly registry: ServiceRegistry,
    private readonly history: HealthHistory,
    metrics: MetricsService,
  ) {
    this.checks = new Counter({
      name: metrics.name('health_checks_total'),
      help: 'Health checks executed (cache hits excluded), by service and resulting status',
      labelNames: ['service', 'status'],
      registers: [metrics.registry],
    });
    this.duration = new Histogram({
      name: metrics.name('health_check_duration_seconds'),
      help: 'Duration of executed health checks, by service',
      labelNames: ['service'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 3, 10],
      registers: [metrics.registry],
    });
    this.transitions = registry.changes$.subscribe((change) => this.invalidate(change.service));
  }

  onModuleDestroy(): void {
    this.transitions.unsubscribe();
  }

  /** The service's own health, at most `healthTtlMs` old. Throws for an unknown service. */
  check(name: string): Promise<CheckedReport> {
    const node = this.registry.graph()?.node(name);
    if (!node) throw new ServiceNotFoundError(name);
    return this.cache.get(name, node.definition.healthTtlMs, () => this.run(name));
  }

  /** The last result, however old, without checking. */
  last(name: string): CheckedReport | undefined {
    return this.cache.peek(name);
  }

  /**
   * The next {@link check} of `name` runs a fresh check, and a check already running is not cached.
   * Lifecycle transitions do this by themselves; maintenance changes call it.
   */
  invalidate(name: string): void {
    this.cache.invalidate(name);
  }

  private async run(name: string): Promise<CheckedReport> {
    const began = performance.now();
    let report: ServiceHealthReport;
    try {
      report = await this.registry.checkHealth(name);
    } catch (err) {
      report = { status: 'DOWN', reason: err instanceof Error ? err.message : String(err) };
    }
    const latencyMs = performance.now() - began;
    const checkedAt = Date.now();
    const sample: CheckSample = {
      at: checkedAt,
      status: report.status,
      latencyMs,
      failed: report.status === 'DOWN',
      reason: report.reason,
    };
    this.history.record(name, sample);
    this.checks.labels(name, report.status).inc();
    this.duration.labels(name).observe(latencyMs / 1000);
    this.sampled.next({ service: name, sample });
    return { ...report, checkedAt, latencyMs };
  }
}
