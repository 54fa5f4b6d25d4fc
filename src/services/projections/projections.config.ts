import { IsInt, Max, Min } from 'class-validator';
import { defineEnvNamespace, EnvInt } from '../../platform/config';

class ProjectionsEnv {
  /** Projection submissions per caller and minute (`POST /v1/projections`; cache hits count too). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  PROJECTIONS_SUBMITS_PER_MINUTE: number = 30;
}

export const projectionsConfig = defineEnvNamespace('projections', ProjectionsEnv, (env) => ({
  submitsPerMinute: env.PROJECTIONS_SUBMITS_PER_MINUTE,
}));
export type ProjectionsConfig = ReturnType<typeof projectionsConfig>;
