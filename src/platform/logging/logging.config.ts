import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvBoolean } from '../config/env-transforms';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

class LoggingEnv {
  /** Lowest level written: trace, debug, info, warn, error, fatal or silent. */
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** Default: `pretty` when NODE_ENV=development, `json` otherwise. */
  @IsOptional()
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: (typeof LOG_FORMATS)[number];

  /** Write one line per completed request (method, url, status, duration, request id). */
  @EnvBoolean()
  @IsBoolean()
  LOG_HTTP_REQUESTS: boolean = true;

  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;
}

export const loggingConfig = defineEnvNamespace('logging', LoggingEnv, (env) => ({
  level: env.LOG_LEVEL,
  format: env.LOG_FORMAT ?? ((env.NODE_ENV ?? 'development') === 'development' ? 'pretty' : 'json'),
  httpRequests: env.LOG_HTTP_REQUESTS,
}));
export type LoggingConfig = ReturnType<typeof loggingConfig>;
