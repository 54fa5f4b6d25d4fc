import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';
import { NeedsCurrentKey, ParseSecretsKeys, SecretsKeys, ValidSecretsKeys } from './secrets-key-env';

class RuntimeConfigEnv {
  /** Optional JSON file `{ "<service>": { "<field>": value } }`, layered over defaults and watched for changes. */
  @Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value))
  @IsOptional()
  @IsString()
  FENNEC_CONFIG_FILE?: string;

  /** How many versions of each service's runtime configuration are kept (for history and rollback). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1000)
  RUNTIME_CONFIG_HISTORY_LIMIT: number = 50;

  /** Safety net for missed change events (e.g. during a Redis outage): re-read versions this often. */
  @EnvInt()
  @IsInt()
  @Min(200)
  @Max(600_000)
  RUNTIME_CONFIG_RESYNC_MS: number = 5000;

  /**
   * After Redis lost its data (restarted empty), writes answer 503 CONFIG.STORE_RECOVERING for this
   * long while every instance puts back the versions it holds, so that no version is reused. Keep
   * it above STATE_RECONNECT_MAX_DELAY_MS. 0: only until this instance has put its own back.
   */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(60_000)
  RUNTIME_CONFIG_RESEED_GRACE_MS: number = 2500;

  /** How often the config file is checked for changes. */
  @EnvInt()
  @IsInt()
  @Min(50)
  @Max(60_000)
  FENNEC_CONFIG_FILE_POLL_MS: number = 500;

  /**
   * Seals `@Secret()` fields of stored runtime config (file or Redis, history included) with
   * AES-256-GCM: 32 bytes as 64 hex characters or base64 (`openssl rand -base64 32`). Unset: they
   * are stored in clear (a warning at boot in production when a service has secret fields).
   */
  @IsOptional()
  @ParseSecretsKeys(false)
  @ValidSecretsKeys()
  RUNTIME_CONFIG_SECRETS_KEY?: SecretsKeys;

  /** Comma-separated keys that sealed values before a rotation: they only open values; new writes use RUNTIME_CONFIG_SECRETS_KEY. */
  @IsOptional()
  @ParseSecretsKeys(true)
  @ValidSecretsKeys()
  @NeedsCurrentKey()
  RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS?: SecretsKeys;
}

/** `FENNEC_<SERVICE>__<FIELD>=value` variables, grouped by service: `{ RAG: { TOP_K: '8' } }`. */
export function serviceEnvOverrides(env: NodeJS.ProcessEnv = process.env): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, value] of Object.entries(env)) {
    const m = /^FENNEC_([A-Z0-9_]+?)__([A-Z0-9_]+)$/.exec(name);
    if (!m || value === undefined) continue;
    (out[m[1]] ??= {})[m[2]] = value;
  }
  return out;
}

/** Runtime (per-service, versioned) configuration: file source, history bound, resync period, sealing keys. */
export const runtimeConfigEnv = defineEnvNamespace('runtimeConfig', RuntimeConfigEnv, (env) => ({
  file: env.FENNEC_CONFIG_FILE,
  filePollMs: env.FENNEC_CONFIG_FILE_POLL_MS,
  historyLimit: env.RUNTIME_CONFIG_HISTORY_LIMIT,
  resyncMs: env.RUNTIME_CONFIG_RESYNC_MS,
  reseedGraceMs: env.RUNTIME_CONFIG_RESEED_GRACE_MS,
  serviceEnv: serviceEnvOverrides(),
  secretsKey: env.RUNTIME_CONFIG_SECRETS_KEY?.keys[0],
  previousSecretsKeys: env.RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS?.keys ?? [],
}));
export type RuntimeConfigEnvConfig = ReturnType<typeof runtimeConfigEnv>;
