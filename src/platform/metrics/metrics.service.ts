import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { metricsConfig, type MetricsConfig } from './metrics.config';

const HTTP_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Owns this application's Prometheus registry (one per app, so several apps in one process,
 * as in tests, never clash) and the platform's HTTP metrics.
 *
 * Other platform parts register their metrics on {@link registry} with {@link name} for the prefix.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly httpErrors: Counter<'code' | 'route' | 'status_code'>;
  /** Label children are cached: `labels()` hashes its arguments on every call. */
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();

  constructor(@Inject(metricsConfig.KEY) private readonly config: MetricsConfig) {
    if (config.defaultProcessMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP requests served, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.httpErrors = new Counter({
      name: this.name('http_errors_total'),
      help: 'HTTP requests answered with a problem, by error code, route template and status code',
      labelNames: ['code', 'route', 'status_code'],
      registers: [this.registry],
    });
  }

  /** Prefixes a Fennec metric name (`requests_total` → `fennec_requests_total`). */
  name(base: string): string {
    return this.config.prefix + base;
  }

  observeHttpRequest(method: string, route: string, statusCode: number, seconds: number): void {
    const key = `${method} ${statusCode} ${route}`;
    let child = this.durationChildren.get(key);
    if (child === undefined) {
      child = this.httpDuration.labels(method, route, String(statusCode));
      this.durationChildren.set(key, child);
    }
    child.observe(seconds);
  }

  countHttpError(code: string, route: string, statusCode: number): void {
    this.httpErrors.inc({ code, route, status_code: String(statusCode) });
  }
}
