import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

class StateEnv {
  /** Redis URL (`redis://[:password@]host:port[/db]`, `rediss://` for TLS). Unset: in-memory state, one process. */
  @Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value))
  @IsOptional()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must look like redis://host:port or rediss://host:port' })
  REDIS_URL?: string;

  /** Prefix of every key and channel this deployment uses; lets several deployments share one Redis. */
  @IsString()
  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, { message: 'STATE_KEY_PREFIX must be 1-64 of A-Z a-z 0-9 : _ . -' })
  STATE_KEY_PREFIX: string = 'fennec:';

  /** How long a connection attempt may take, and how long boot waits for the first one. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  STATE_CONNECT_TIMEOUT_MS: number = 2000;

  /**
   * A command without an answer after this long fails with STATE.UNAVAILABLE and the connection is
   * re-established; until Redis answers again, commands fail at once. Bounds what a request waits
   * for Redis.
   */
  @EnvInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  STATE_COMMAND_TIMEOUT_MS: number = 500;

  /** Upper bound of the reconnect backoff (exponential from 50 ms, with jitter). */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60_000)
  STATE_RECONNECT_MAX_DELAY_MS: number = 2000;
}

/** Shared-state backend: in-memory by default, Redis when REDIS_URL is set. */
export const stateConfig = defineEnvNamespace('state', StateEnv, (env) => ({
  redisUrl: env.REDIS_URL,
  keyPrefix: env.STATE_KEY_PREFIX,
  connectTimeoutMs: env.STATE_CONNECT_TIMEOUT_MS,
  commandTimeoutMs: env.STATE_COMMAND_TIMEOUT_MS,
  reconnectMaxDelayMs: env.STATE_RECONNECT_MAX_DELAY_MS,
}));
export type StateConfig = ReturnType<typeof stateConfig>;
