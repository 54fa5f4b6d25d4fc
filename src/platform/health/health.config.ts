import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

class HealthEnv {
  /** Readiness fails (and /health is DEGRADED) when the event loop's p99 delay over the last window exceeds this. */
  @EnvInt()
  @IsInt()
  @Min(10)
  HEALTH_EVENT_LOOP_LAG_MS: number = 1000;

  /** Readiness fails (and /health is DEGRADED) when the V8 heap in use exceeds this many MiB. */
  @EnvInt()
  @IsInt()
  @Min(16)
  HEALTH_HEAP_LIMIT_MB: number = 2048;

  /** Who sees per-check details and errors in /health: callers with a role, everyone, or nobody. */
  @IsIn(['authorized', 'always', 'never'])
  HEALTH_SHOW_DETAILS: 'authorized' | 'always' | 'never' = 'authorized';

  /** The background monitor re-checks each service this often (never more often than its TTL), ±20 % jitter. */
  @EnvInt()
  @IsInt()
  @Min(100)
  HEALTH_MONITOR_INTERVAL_MS: number = 10_000;

  /** Samples kept per service in the history ring buffer (metrics, availability, trends). */
  @EnvInt()
  @IsInt()
  @Min(10)
  @Max(100_000)
  HEALTH_HISTORY_SIZE: number = 720;

  /** Samples the trend (least-squares slope) is fitted over. */
  @EnvInt()
  @IsInt()
  @Min(3)
  HEALTH_TREND_WINDOW: number = 12;

  /** A predictive alert fires when a threshold crossing is predicted within this horizon. */
  @EnvInt()
  @IsInt()
  @Min(1000)
  HEALTH_TREND_HORIZON_MS: number = 300_000;

  /** Check latency that counts as a threshold crossing for predictions. */
  @EnvInt()
  @IsInt()
  @Min(1)
  HEALTH_TREND_LATENCY_MS: number = 1000;

  /** Failure rate (percent, EWMA of failed checks) that counts as a threshold crossing. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100)
  HEALTH_TREND_FAILURE_RATE_PCT: number = 50;

  /** Automation rules evaluated this often. */
  @EnvInt()
  @IsInt()
  @Min(100)
  HEALTH_AUTOMATION_INTERVAL_MS: number = 5000;

  /** Initial automation rules as a JSON array (see docs/operations.md, "Health and probes"). */
  @IsOptional()
  @IsString()
  HEALTH_AUTOMATION_RULES?: string;

  /** `notify` actions POST alerts here as JSON. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  HEALTH_ALERT_WEBHOOK_URL?: string;

  /** Per-attempt timeout of a webhook POST. */
  @EnvInt()
  @IsInt()
  @Min(100)
  HEALTH_ALERT_WEBHOOK_TIMEOUT_MS: number = 3000;

  /** Retries after a failed webhook POST (exponential backoff from 250 ms). */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(10)
  HEALTH_ALERT_WEBHOOK_RETRIES: number = 3;
}

export const healthConfig = defineEnvNamespace('health', HealthEnv, (env) => ({
  eventLoopLagMs: env.HEALTH_EVENT_LOOP_LAG_MS,
  heapLimitBytes: env.HEALTH_HEAP_LIMIT_MB * 1024 * 1024,
  showDetails: env.HEALTH_SHOW_DETAILS,
  monitorIntervalMs: env.HEALTH_MONITOR_INTERVAL_MS,
  historySize: env.HEALTH_HISTORY_SIZE,
  trend: {
    window: env.HEALTH_TREND_WINDOW,
    horizonMs: env.HEALTH_TREND_HORIZON_MS,
    latencyThresholdMs: env.HEALTH_TREND_LATENCY_MS,
    failureRateThreshold: env.HEALTH_TREND_FAILURE_RATE_PCT / 100,
  },
  automation: { intervalMs: env.HEALTH_AUTOMATION_INTERVAL_MS, rulesJson: env.HEALTH_AUTOMATION_RULES },
  webhook: {
    url: env.HEALTH_ALERT_WEBHOOK_URL,
    timeoutMs: env.HEALTH_ALERT_WEBHOOK_TIMEOUT_MS,
    retries: env.HEALTH_ALERT_WEBHOOK_RETRIES,
  },
}));
export type HealthConfig = ReturnType<typeof healthConfig>;
