import { Controller, Get, Header, Inject, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../openapi/api-problems.decorator';
import { ServiceRegistry } from '../registry/service-registry';
import { Roles } from '../route-metadata/access.decorators';
import { HealthAlertsService } from './alerts/health-alerts.service';
import { HealthAlertsDto } from './dto/health-alerts.dto';
import { HealthMetricsDto } from './dto/health-metrics.dto';
import { HealthPredictiveDto } from './dto/health-predictive.dto';
import { NO_CACHE } from './health.controller';
import { healthConfig, type HealthConfig } from './health.config';
import { HealthHistory } from './monitor/health-history';
import { HealthMonitorService } from './monitor/health-monitor.service';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** What the health history says: check figures, trends and predictions, alerts. Viewer role. */
@ApiTags('health')
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthInsightsController {
  constructor(
    private readonly registry: ServiceRegistry,
    private readonly history: HealthHistory,
    private readonly monitor: HealthMonitorService,
    private readonly alerts: HealthAlertsService,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {}

  @Get('metrics')
  @Roles('viewer')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getHealthMetrics',
    summary: 'Per service: checks, failures, check latency p50/p95/p99, availability over 5 min / 1 h',
  })
  @ApiOkResponse({ type: HealthMetricsDto })
  @ApiProblems(401, 403)
  metrics(): HealthMetricsDto {
    const now = Date.now();
    return {
      services: this.registry.list().map((s) => {
        const stats = this.history.stats(s.name, now);
        return {
          service: s.name,
          ...stats,
          latencyMs: {
            p50: round(stats.latencyMs.p50),
            p95: round(stats.latencyMs.p95),
            p99: round(stats.latencyMs.p99),
          },
          lastCheckAt: iso(stats.lastCheckAt) ?? null,
        };
      }),
      ruleFirings: this.alerts.firings.rule,
      trendFirings: this.alerts.firings.trend,
    };
  }

  @Get('predictive')
  @Roles('viewer')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getHealthPredictions',
    summary: 'Per service: least-squares trend of check latency and failure rate, and any predicted threshold crossing',
  })
  @ApiOkResponse({ type: HealthPredictiveDto })
  @ApiProblems(401, 403)
  predictive(): HealthPredictiveDto {
    return {
      method: 'least-squares',
      window: this.config.trend.window,
      horizonMs: this.config.trend.horizonMs,
      services: this.monitor.trends.all().map((t) => ({
        service: t.service,
        samples: t.samples,
        latency: t.latency && {
          fitted: round(t.latency.fitted)!,
          slopePerMin: round(t.latency.slopePerMin)!,
          etaMs: t.latency.etaMs === null ? null : Math.round(t.latency.etaMs),
          threshold: t.latency.thresholdMs,
        },
        failureRate: t.failureRate && {
          fitted: round(t.failureRate.fitted, 4)!,
          slopePerMin: round(t.failureRate.slopePerMin, 4)!,
          etaMs: t.failureRate.etaMs === null ? null : Math.round(t.failureRate.etaMs),
          threshold: t.failureRate.threshold,
        },
        predicted: t.predicted,
        crossing: t.crossing && { metric: t.crossing.metric, at: iso(t.crossing.at)! },
        alertActive: t.alertActive,
        firedAt: iso(t.firedAt),
        clearedAt: iso(t.clearedAt),
      })),
    };
  }

  @Get('alerts')
  @Roles('viewer')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'getHealthAlerts',
    summary: 'Active and recent alerts, with firing and clearing times and the actions taken',
  })
  @ApiOkResponse({ type: HealthAlertsDto })
  @ApiProblems(401, 403)
  alertList(): HealthAlertsDto {
    return {
      active: this.alerts.log.active().map((a) => HealthAlertsService.toDto(a)),
      recent: this.alerts.log.recent().map((a) => HealthAlertsService.toDto(a)),
    };
  }
}

function round(n: number | null, digits = 2): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
