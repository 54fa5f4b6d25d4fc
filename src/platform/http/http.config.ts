import { IsArray, IsBoolean, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { defineEnvNamespace } from '../config/env-namespace';
import { EnvBoolean, EnvInt, EnvList } from '../config/env-transforms';

class HttpEnv {
  /** Largest request body, whatever its content type: bytes, or a number with kb/mb (e.g. `1mb`); 413 beyond. */
  @Matches(/^\d+(b|kb|mb)?$/i, { message: 'HTTP_BODY_LIMIT must be bytes or a size like 512kb / 1mb' })
  HTTP_BODY_LIMIT: string = '1mb';

  /** Deepest nesting of objects and arrays a JSON body may have (400 `REQUEST.BODY_TOO_COMPLEX` beyond). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(256)
  HTTP_JSON_MAX_DEPTH: number = 64;

  /** Most object keys a JSON body may hold in all (400 `REQUEST.BODY_TOO_COMPLEX` beyond). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  HTTP_JSON_MAX_KEYS: number = 10_000;

  /** Allowed CORS origins (comma-separated). Empty: cross-origin requests are not allowed. */
  @EnvList()
  @IsArray()
  @IsString({ each: true })
  CORS_ORIGINS: string[] = [];

  /** Number of reverse-proxy hops in front of Fennec whose X-Forwarded-For is trusted. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(10)
  TRUST_PROXY_HOPS: number = 0;

  /**
   * Build requests and responses on Express's prototypes from the start (about 2.5× the
   * throughput; see docs/performance.md). Off: Node's own classes, re-parented by Express per request.
   */
  @EnvBoolean()
  @IsBoolean()
  HTTP_PREBUILT_PROTOTYPES: boolean = true;
}

export const httpConfig = defineEnvNamespace('http', HttpEnv, (env) => ({
  bodyLimit: env.HTTP_BODY_LIMIT.toLowerCase(),
  jsonMaxDepth: env.HTTP_JSON_MAX_DEPTH,
  jsonMaxKeys: env.HTTP_JSON_MAX_KEYS,
  corsOrigins: env.CORS_ORIGINS,
  trustProxyHops: env.TRUST_PROXY_HOPS,
  prebuiltPrototypes: env.HTTP_PREBUILT_PROTOTYPES,
}));
export type HttpConfig = ReturnType<typeof httpConfig>;
