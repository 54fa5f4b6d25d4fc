import { IsBoolean, IsIn, IsInt, IsString, IsUrl, Max, Min } from 'class-validator';
import { defineEnvNamespace, EnvBoolean, EnvInt, EnvList } from '../../platform/config';
import { UPSTREAM_STRATEGIES, type UpstreamStrategyName } from '../../platform/upstream';

class ComfyEnv {
  /** ComfyUI servers, comma-separated (e.g. `http://gpu-a:8188,http://gpu-b:8188`); none: the comfy routes answer 503. */
  @EnvList()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { each: true })
  COMFY_URLS: string[] = [];

  /** How new prompts are spread over the servers (follow-up calls always go to the server that took the prompt). */
  @IsIn(UPSTREAM_STRATEGIES)
  COMFY_STRATEGY: UpstreamStrategyName = 'round-robin';

  /** How long a server's `GET /object_info` (node classes, models, samplers) is reused. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  COMFY_OBJECT_INFO_TTL_MS: number = 60_000;

  /** Time allowed for one HTTP call to a server (prompt submit, history, view, upload). */
  @EnvInt()
  @IsInt()
  @Min(100)
  COMFY_REQUEST_TIMEOUT_MS: number = 30_000;

  /** First delay before reconnecting a dropped WebSocket; doubles per failed try. */
  @EnvInt()
  @IsInt()
  @Min(10)
  COMFY_WS_RECONNECT_MIN_MS: number = 250;

  /** Longest delay between reconnect tries. */
  @EnvInt()
  @IsInt()
  @Min(10)
  COMFY_WS_RECONNECT_MAX_MS: number = 10_000;

  /**
   * A server whose WebSocket stays down this long is asked over HTTP; if it does not answer, its
   * prompts fail with COMFY.INSTANCE_LOST, or move to another server when their template is idempotent.
   */
  @EnvInt()
  @IsInt()
  @Min(100)
  COMFY_INSTANCE_LOST_MS: number = 15_000;

  /** Pass the servers' binary preview frames on as job progress `preview` (data URLs). */
  @EnvBoolean()
  @IsBoolean()
  COMFY_PREVIEWS: boolean = true;

  /** Largest preview passed on, in bytes (larger frames are dropped: they travel with every event). */
  @EnvInt()
  @IsInt()
  @Min(0)
  COMFY_PREVIEW_MAX_BYTES: number = 65_536;

  /**
   * Node changes and previews become job progress events at most this often per job (each event
   * is stored with the job); sampling steps are always passed on.
   */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  COMFY_PROGRESS_INTERVAL_MS: number = 250;

  /** Checkpoint the built-in templates use when the caller names none. */
  @IsString()
  COMFY_DEFAULT_CHECKPOINT: string = 'v1-5-pruned-emaonly.safetensors';

  /** Job submissions (`POST /v1/comfy/jobs`) per caller per minute. */
  @EnvInt()
  @IsInt()
  @Min(1)
  COMFY_JOBS_PER_MINUTE: number = 120;

  /** Template versions kept per template name. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  COMFY_TEMPLATE_VERSIONS_KEPT: number = 20;
}

export const comfyConfig = defineEnvNamespace('comfy', ComfyEnv, (env) => ({
  instances: env.COMFY_URLS.map((url) => ({ url: url.replace(/\/$/, '') })),
  strategy: env.COMFY_STRATEGY,
  objectInfoTtlMs: env.COMFY_OBJECT_INFO_TTL_MS,
  requestTimeoutMs: env.COMFY_REQUEST_TIMEOUT_MS,
  reconnectMinMs: env.COMFY_WS_RECONNECT_MIN_MS,
  reconnectMaxMs: Math.max(env.COMFY_WS_RECONNECT_MIN_MS, env.COMFY_WS_RECONNECT_MAX_MS),
  instanceLostMs: env.COMFY_INSTANCE_LOST_MS,
  previews: env.COMFY_PREVIEWS,
  progressIntervalMs: env.COMFY_PROGRESS_INTERVAL_MS,
  previewMaxBytes: env.COMFY_PREVIEW_MAX_BYTES,
  defaultCheckpoint: env.COMFY_DEFAULT_CHECKPOINT,
  templateVersionsKept: env.COMFY_TEMPLATE_VERSIONS_KEPT,
  jobsPerMinute: env.COMFY_JOBS_PER_MINUTE,
}));
export type ComfyConfig = ReturnType<typeof comfyConfig>;
