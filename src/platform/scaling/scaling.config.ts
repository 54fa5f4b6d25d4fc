import { IsInt, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

class ScalingEnv {
  /** Target queued jobs per replica (all kinds, cluster-wide) for `fennec_desired_replicas`; 0 leaves the backlog out. */
  @EnvInt()
  @IsInt()
  @Min(0)
  SCALING_JOBS_BACKLOG_PER_REPLICA: number = 0;

  /** Target requests in flight per replica, published as `fennec_scaling_target_per_replica{signal="http_in_flight"}` for the autoscaler's query; 0: not published. */
  @EnvInt()
  @IsInt()
  @Min(0)
  SCALING_IN_FLIGHT_PER_REPLICA: number = 0;

  /** Lower bound of `fennec_desired_replicas`. */
  @EnvInt()
  @IsInt()
  @Min(1)
  SCALING_MIN_REPLICAS: number = 1;

  /** Upper bound of `fennec_desired_replicas`. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  SCALING_MAX_REPLICAS: number = 10;

  /** How long a `scale_up` automation action keeps the recommendation raised, in milliseconds. */
  @EnvInt()
  @IsInt()
  @Min(1000)
  SCALING_RAISE_HOLD_MS: number = 600_000;
}

export const scalingConfig = defineEnvNamespace('scaling', ScalingEnv, (env) => ({
  jobsBacklogPerReplica: env.SCALING_JOBS_BACKLOG_PER_REPLICA,
  inFlightPerReplica: env.SCALING_IN_FLIGHT_PER_REPLICA,
  minReplicas: env.SCALING_MIN_REPLICAS,
  maxReplicas: Math.max(env.SCALING_MIN_REPLICAS, env.SCALING_MAX_REPLICAS),
  raiseHoldMs: env.SCALING_RAISE_HOLD_MS,
}));
export type ScalingConfig = ReturnType<typeof scalingConfig>;
