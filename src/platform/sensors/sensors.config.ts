import { IsInt, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

class SensorsEnv {
  /** Liveness fails when the event loop has not turned for this long (a wedged loop, not a busy one). */
  @EnvInt()
  @IsInt()
  @Min(1000)
  HEALTH_LIVENESS_STALL_MS: number = 30_000;
}

/** What the runtime sensors measure against (the variable keeps its `HEALTH_` name: liveness reads it). */
export const sensorsConfig = defineEnvNamespace('sensors', SensorsEnv, (env) => ({
  livenessStallMs: env.HEALTH_LIVENESS_STALL_MS,
}));
export type SensorsConfig = ReturnType<typeof sensorsConfig>;
