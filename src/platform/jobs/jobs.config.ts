import { IsIn, IsInt, Max, Min } from 'class-validator';
import { availableParallelism } from 'node:os';
import { defineEnvNamespace, EnvInt } from '../config';

export const JOBS_BACKENDS = ['auto', 'embedded', 'redis'] as const;
export type JobsBackendChoice = (typeof JOBS_BACKENDS)[number];

class JobsEnv {
  /** Where jobs live: `embedded` (DATA_DIR, one instance), `redis` (BullMQ on REDIS_URL, any number of instances), `auto` (redis when REDIS_URL is set). */
  @IsIn(JOBS_BACKENDS)
  JOBS_BACKEND: JobsBackendChoice = 'auto';

  /** Timeout of one attempt for kinds that do not set their own. */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  @Max(7 * 24 * 3_600_000)
  JOBS_DEFAULT_TIMEOUT_MS: number = 3_600_000;

  /** Finished jobs and their events are removed this long after they finished. */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  @Max(365 * 24 * 3_600_000)
  JOBS_RETENTION_MS: number = 7 * 24 * 3_600_000;

  /** On shutdown, running jobs get this long to finish before they are handed back (re-queued). */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  JOBS_DRAIN_TIMEOUT_MS: number = 25_000;

  /** Largest accepted job payload (JSON bytes). */
  @EnvInt()
  @IsInt()
  @Min(1_024)
  @Max(64 * 1024 * 1024)
  JOBS_MAX_PAYLOAD_BYTES: number = 1024 * 1024;

  /** The jobs service is DEGRADED while a job has been queued (and runnable) longer than this. */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  JOBS_HEALTH_MAX_QUEUED_AGE_MS: number = 15 * 60_000;

  /** The jobs service is DEGRADED while more than this many jobs are queued. */
  @EnvInt()
  @IsInt()
  @Min(1)
  JOBS_HEALTH_MAX_BACKLOG: number = 10_000;

  /** WebSocket clients on /jobs/ws are pinged this often; one that did not answer the previous ping is dropped. */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  @Max(300_000)
  JOBS_WS_HEARTBEAT_MS: number = 30_000;

  /** A WebSocket client with more than this many bytes unsent (it does not read) is dropped. */
  @EnvInt()
  @IsInt()
  @Min(1_024)
  @Max(256 * 1024 * 1024)
  JOBS_WS_MAX_BUFFERED_BYTES: number = 1024 * 1024;

  /** Worker threads for CPU-heavy job handlers (JobWorkerPool); 0: one less than the CPUs (at least 1). */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(256)
  JOBS_WORKER_THREADS: number = 0;

  /** Redis backend: a running job's lock; a job whose instance died is run elsewhere after about this long (BullMQ stall check). */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  @Max(600_000)
  JOBS_REDIS_LOCK_MS: number = 30_000;
}

/** Platform jobs: backend choice, timeouts, retention, drain. */
export const jobsConfig = defineEnvNamespace('jobs', JobsEnv, (env) => ({
  backend: env.JOBS_BACKEND,
  defaultTimeoutMs: env.JOBS_DEFAULT_TIMEOUT_MS,
  retentionMs: env.JOBS_RETENTION_MS,
  drainTimeoutMs: env.JOBS_DRAIN_TIMEOUT_MS,
  maxPayloadBytes: env.JOBS_MAX_PAYLOAD_BYTES,
  healthMaxQueuedAgeMs: env.JOBS_HEALTH_MAX_QUEUED_AGE_MS,
  healthMaxBacklog: env.JOBS_HEALTH_MAX_BACKLOG,
  wsHeartbeatMs: env.JOBS_WS_HEARTBEAT_MS,
  wsMaxBufferedBytes: env.JOBS_WS_MAX_BUFFERED_BYTES,
  redisLockMs: env.JOBS_REDIS_LOCK_MS,
  workerThreads: env.JOBS_WORKER_THREADS === 0 ? Math.max(1, availableParallelism() - 1) : env.JOBS_WORKER_THREADS,
}));
export type JobsConfig = ReturnType<typeof jobsConfig>;
