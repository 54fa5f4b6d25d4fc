import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { DEFAULT_HEALTH_TTL_MS } from '../../registry/service-definition';
import { ServiceRegistry } from '../../registry/service-registry';
import { HealthAlertsService } from '../alerts/health-alerts.service';
import { ServiceHealthChecker } from '../checks/service-health-checker.service';
import { healthConfig, type HealthConfig } from '../health.config';
import { TrendTracker } from '../trends/trend-tracker';
import { HealthHistory } from './health-history';

/** ±20 % so instances and services do not check in lockstep. */
export const MONITOR_JITTER = 0.2;

/**
 * Background monitor: re-checks every managed service on its own jittered interval (never more
 * often than the service's health TTL, and through the same cache, so it never adds checks on top
 * of request-driven ones), and re-evaluates the service's trend after every executed check, firing
 * and clearing predictive alerts.
 */
@Injectable()
export class HealthMonitorService implements OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger = new Logger('health-monitor');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private syncTimer?: NodeJS.Timeout;
  private subscription?: Subscription;
  private stopped = false;
  readonly trends: TrendTracker;

  constructor(
    private readonly registry: ServiceRegistry,
    private readonly checker: ServiceHealthChecker,
    private readonly history: HealthHistory,
    private readonly alerts: HealthAlertsService,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {
    this.trends = new TrendTracker(config.trend);
  }

  onApplicationBootstrap(): void {
    this.subscription = this.checker.samples$.subscribe(({ service, sample }) => this.onSample(service, sample.at));
    // The registry may bootstrap after this module: pick services up as they appear.
    const sync = () => {
      this.sync();
      if (!this.stopped) this.syncTimer = setTimeout(sync, this.config.monitorIntervalMs).unref();
    };
    this.syncTimer = setTimeout(sync, 0).unref();
  }

  beforeApplicationShutdown(): void {
    this.stop();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  /** The re-check interval of `service` before jitter. */
  intervalOf(service: string): number {
    const ttl = this.registry.graph()?.node(service)?.definition.healthTtlMs ?? DEFAULT_HEALTH_TTL_MS;
    return Math.max(this.config.monitorIntervalMs, ttl);
  }

  private sync(): void {
    for (const s of this.registry.list()) if (!this.timers.has(s.name)) this.schedule(s.name, true);
  }

  private schedule(service: string, first = false): void {
    if (this.stopped) return;
    const base = this.intervalOf(service);
    // The first check of each service is spread over one interval instead of all at once.
    const delay = first ? Math.random() * base : base * (1 - MONITOR_JITTER + 2 * MONITOR_JITTER * Math.random());
    const timer = setTimeout(() => {
      this.checker
        .check(service)
        .catch((err: unknown) => this.logger.warn({ service, err }, `background check of ${service} failed`))
        .finally(() => this.schedule(service));
    }, delay);
    timer.unref();
    this.timers.set(service, timer);
  }

  private onSample(service: string, at: number): void {
    const transition = this.trends.evaluate(service, this.history.recent(service, this.config.trend.window), at);
    if (!transition) return;
    const key = `trend:${service}`;
    if (transition.kind === 'clear') {
      this.alerts.log.clear(key);
      return;
    }
    const c = transition.trend.crossing!;
    const inMs = Math.max(0, Math.round(c.at - at));
    this.alerts.log.fire({
      key,
      source: 'trend',
      service,
      level: 'WARNING',
      message: `${service}: ${c.metric === 'latency' ? 'check latency' : 'failure rate'} predicted to cross its threshold in ${inMs} ms`,
    });
  }

  private stop(): void {
    this.stopped = true;
    clearTimeout(this.syncTimer);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.subscription?.unsubscribe();
  }
}
