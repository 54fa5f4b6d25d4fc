import { IsBoolean, IsString, Matches } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvBoolean } from '../config/env-transforms';

class MetricsEnv {
  /** Export prom-client's default process and Node.js metrics (CPU, memory, event loop, GC). */
  @EnvBoolean()
  @IsBoolean()
  METRICS_DEFAULT_PROCESS: boolean = true;

  /** Prefix for Fennec's own metric names (not the standard http_/process_ ones). */
  @IsString()
  @Matches(/^[a-z_][a-z0-9_]*$/, { message: 'METRICS_PREFIX must match [a-z_][a-z0-9_]*' })
  METRICS_PREFIX: string = 'fennec_';
}

export const metricsConfig = defineEnvNamespace('metrics', MetricsEnv, (env) => ({
  defaultProcessMetrics: env.METRICS_DEFAULT_PROCESS,
  prefix: env.METRICS_PREFIX,
}));
export type MetricsConfig = ReturnType<typeof metricsConfig>;
