import { IsIn, IsInt, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

export const SSE_OVERFLOW_POLICIES = ['drop-oldest', 'disconnect'] as const;
export type SseOverflowPolicy = (typeof SSE_OVERFLOW_POLICIES)[number];

class StreamingEnv {
  /** A `: ping` comment is sent on every open stream this often, so proxies keep it open. */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  @Max(300_000)
  SSE_HEARTBEAT_MS: number = 15_000;

  /** The `retry:` hint: how long EventSource clients wait before reconnecting. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(300_000)
  SSE_RETRY_MS: number = 3_000;

  /** Events queued per client while its socket is full; beyond this the overflow policy applies. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  SSE_CLIENT_QUEUE_MAX: number = 256;

  /** What happens to a client that falls behind: drop its oldest events and send `gap`, or close it. */
  @IsIn(SSE_OVERFLOW_POLICIES)
  SSE_OVERFLOW_POLICY: SseOverflowPolicy = 'drop-oldest';

  /** Events each topic keeps for resume by Last-Event-ID. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  SSE_REPLAY_BUFFER: number = 1_000;
}

export const streamingConfig = defineEnvNamespace('streaming', StreamingEnv, (env) => ({
  heartbeatMs: env.SSE_HEARTBEAT_MS,
  retryMs: env.SSE_RETRY_MS,
  clientQueueMax: env.SSE_CLIENT_QUEUE_MAX,
  overflow: env.SSE_OVERFLOW_POLICY,
  replayBuffer: env.SSE_REPLAY_BUFFER,
}));
export type StreamingConfig = ReturnType<typeof streamingConfig>;
