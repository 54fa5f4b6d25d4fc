import { IsInt, IsOptional, Max, Min, MinLength } from 'class-validator';
import { defineEnvNamespace, EnvInt } from '../../platform/config';

class ImageSignedUrlEnv {
  /**
   * Key of the HMAC-SHA256 that signs image URLs (`GET /v1/images/signed/{token}`), at least 32
   * characters; set the same value on every instance. Unset: a random key per process (URLs then
   * work only on the instance that made them, and not after a restart).
   */
  @IsOptional()
  @MinLength(32)
  IMAGES_SIGNED_URL_SECRET?: string;

  /** How long a signed image URL works, in seconds. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  IMAGES_SIGNED_URL_TTL_SECONDS: number = 3_600;
}

export const imageSignedUrlConfig = defineEnvNamespace('imageSignedUrls', ImageSignedUrlEnv, (env) => ({
  secret: env.IMAGES_SIGNED_URL_SECRET,
  ttlSeconds: env.IMAGES_SIGNED_URL_TTL_SECONDS,
}));
export type ImageSignedUrlConfig = ReturnType<typeof imageSignedUrlConfig>;
