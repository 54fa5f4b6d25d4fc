import { IsInt, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../../config/env-namespace';
import { EnvInt } from '../../config/env-transforms';

class RequestLimitsEnv {
  /** Longest URL (path + query) accepted; longer ones answer 414. */
  @EnvInt()
  @IsInt()
  @Min(256)
  @Max(16_384)
  HTTP_MAX_URL_LENGTH: number = 4096;
}

export const requestLimitsConfig = defineEnvNamespace('requestLimits', RequestLimitsEnv, (env) => ({
  maxUrlLength: env.HTTP_MAX_URL_LENGTH,
}));
export type RequestLimitsConfig = ReturnType<typeof requestLimitsConfig>;
