import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

class LifecycleEnv {
  /** After SIGTERM, readiness answers 503 this long before the listener closes. */
  @IsOptional()
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(120_000)
  HEALTH_DRAIN_DELAY_MS?: number;

  /** Hard limit for the whole graceful shutdown after SIGTERM; past it the process exits 1. */
  @EnvInt()
  @IsInt()
  @Min(1000)
  SHUTDOWN_TIMEOUT_MS: number = 30_000;

  @IsOptional()
  NODE_ENV?: string;
}

/** Drain and shutdown timing (the variables keep their historical `HEALTH_` / `SHUTDOWN_` names). */
export const lifecycleConfig = defineEnvNamespace('lifecycle', LifecycleEnv, (env) => ({
  drainDelayMs: env.HEALTH_DRAIN_DELAY_MS ?? (env.NODE_ENV === 'production' ? 5000 : 0),
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
}));
export type LifecycleConfig = ReturnType<typeof lifecycleConfig>;
