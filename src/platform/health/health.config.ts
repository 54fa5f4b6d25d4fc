import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

class HealthEnv {
  /** After SIGTERM, readiness answers 503 this long before the listener closes. */
  @IsOptional()
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(120_000)
  HEALTH_DRAIN_DELAY_MS?: number;

  /** Liveness fails when the event loop's p99 delay over the last window exceeds this. */
  @EnvInt()
  @IsInt()
  @Min(10)
  HEALTH_EVENT_LOOP_LAG_MS: number = 1000;

  /** Liveness fails when the V8 heap in use exceeds this many MiB. */
  @EnvInt()
  @IsInt()
  @Min(16)
  HEALTH_HEAP_LIMIT_MB: number = 2048;

  /** Hard limit for the whole graceful shutdown after SIGTERM; past it the process exits 1. */
  @EnvInt()
  @IsInt()
  @Min(1000)
  SHUTDOWN_TIMEOUT_MS: number = 30_000;

  @IsOptional()
  NODE_ENV?: string;
}

export const healthConfig = defineEnvNamespace('health', HealthEnv, (env) => ({
  drainDelayMs: env.HEALTH_DRAIN_DELAY_MS ?? (env.NODE_ENV === 'production' ? 5000 : 0),
  eventLoopLagMs: env.HEALTH_EVENT_LOOP_LAG_MS,
  heapLimitBytes: env.HEALTH_HEAP_LIMIT_MB * 1024 * 1024,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
}));
export type HealthConfig = ReturnType<typeof healthConfig>;
