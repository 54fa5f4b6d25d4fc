import { IsInt, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvInt } from '../config/env-transforms';

class StorageEnv {
  /** Below this much free space on DATA_DIR's file system the data-dir service reports DEGRADED. */
  @EnvInt()
  @IsInt()
  @Min(0)
  DATA_DIR_MIN_FREE_MB: number = 100;
}

export const storageConfig = defineEnvNamespace('storage', StorageEnv, (env) => ({
  minFreeBytes: env.DATA_DIR_MIN_FREE_MB * 1024 * 1024,
}));
export type StorageConfig = ReturnType<typeof storageConfig>;
