import { Inject, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Span } from '@opentelemetry/api';
import { tracingConfig, type TracingConfig } from '../tracing/tracing.config';
import { metricsConfig, type MetricsConfig } from './metrics.config';

const HTTP_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Owns this application's Prometheus registry (one per app, so several apps in one process,
 * as in tests, never clash) and the platform's HTTP metrics.
 *
 * Other platform parts register their metrics on {@link registry} with {@link name} for the prefix.
 *
 * With tracing on, the registry speaks OpenMetrics (prom-client supports exemplars only there) and
 * the HTTP duration histogram carries the trace id of a sampled request as its bucket's exemplar,
 * so a dashboard can jump from a slow bucket to a trace.
 */
@Injectable()
export class MetricsService {
  readonly registry: Registry;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly httpErrors: Counter<'code' | 'route' | 'status_code'>;
  /** Label children are cached: `labels()` hashes its arguments on every call. */
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();

  private readonly exemplars: boolean;

  constructor(
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
    @Optional() @Inject(tracingConfig.KEY) tracing?: TracingConfig,
  ) {
    this.exemplars = tracing?.enabled ?? false;
    this.registry = new Registry();
    if (this.exemplars) this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    if (config.defaultProcessMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP requests served, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_BUCKETS_SECONDS,
      registers: [this.registry],
      enableExemplars: this.exemplars,
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

  /** Records one request; `span` (its server span, tracing on) becomes the bucket's exemplar when sampled. */
  observeHttpRequest(method: string, route: string, statusCode: number, seconds: number, span?: Span): void {
    // Only a sampled span becomes an exemplar; every other request takes the cached child below.
    const sc = this.exemplars ? span?.spanContext() : undefined;
    if (sc !== undefined && sc.traceFlags & 1) {
      this.httpDuration.observe({
        labels: { method, route, status_code: String(statusCode) },
        value: seconds,
        // prom-client's typings reuse the metric's label names for exemplar labels; any name is valid.
        exemplarLabels: { trace_id: sc.traceId, span_id: sc.spanId } as never,
      });
      return;
    }
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
