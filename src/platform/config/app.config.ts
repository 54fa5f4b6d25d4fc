import { IsIn, IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';
import { defineEnvNamespace } from './env-namespace';
import { EnvInt } from './env-transforms';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

class AppEnv {
  /** `development` (readable logs, generated dev key), `production` (JSON logs, credentials required, 5 s drain delay) or `test`. */
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  /** HTTP port to listen on. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /** Interface to listen on. */
  @IsString()
  @IsNotEmpty()
  HOST: string = '0.0.0.0';

  /** Directory for embedded state: runtime config versions, the RAG store; created at start if missing. */
  @IsString()
  @IsNotEmpty()
  DATA_DIR: string = './data';
}

/** Process-wide settings: environment, listen address, data directory. */
export const appConfig = defineEnvNamespace('app', AppEnv, (env) => ({
  env: env.NODE_ENV,
  production: env.NODE_ENV === 'production',
  port: env.PORT,
  host: env.HOST,
  dataDir: env.DATA_DIR,
}));
export type AppConfig = ReturnType<typeof appConfig>;
