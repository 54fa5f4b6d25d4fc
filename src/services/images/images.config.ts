import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { defineEnvNamespace, EnvBoolean, EnvInt, EnvList } from '../../platform/config';
import { Transform } from 'class-transformer';

export const OUTPUT_FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const toInts = () =>
  Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((v) => Number(v)) : value));

class ImagesEnv {
  /** PostgreSQL connection string; set: image metadata lives in PostgreSQL (shared by all instances). */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** PostgreSQL schema of the image tables (created if missing). */
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'IMAGES_DATABASE_SCHEMA must be a lowercase SQL identifier' })
  IMAGES_DATABASE_SCHEMA: string = 'public';

  /** Largest image accepted, in bytes (413 beyond). JSON uploads are bounded by HTTP_BODY_LIMIT first. */
  @EnvInt()
  @IsInt()
  @Min(1_024)
  IMAGES_MAX_BYTES: number = 50 * 1024 * 1024;

  /** Most pixels per frame (width × height), checked from the header before decoding (decompression bombs). */
  @EnvInt()
  @IsInt()
  @Min(1)
  IMAGES_MAX_PIXELS: number = 100_000_000;

  /** Most frames of an animated image. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  IMAGES_MAX_FRAMES: number = 500;

  /** Most images in one upload request. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  IMAGES_MAX_FILES_PER_REQUEST: number = 20;

  /** Widths and heights a variant (`GET …/content?w=&h=`) may ask for; nothing else is rendered. */
  @EnvList()
  @toInts()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(64)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(16_384, { each: true })
  IMAGES_VARIANT_SIZES: number[] = [32, 64, 128, 256, 320, 512, 640, 768, 1024, 1280, 1600, 2048];

  /** Formats variants and transforms may be written in. */
  @EnvList()
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(OUTPUT_FORMATS, { each: true })
  IMAGES_OUTPUT_FORMATS: OutputFormat[] = ['jpeg', 'png', 'webp', 'avif', 'gif'];

  /** Largest width or height `POST …/transform` may produce. */
  @EnvInt()
  @IsInt()
  @Min(16)
  @Max(16_384)
  IMAGES_TRANSFORM_MAX_DIMENSION: number = 4_096;

  /** Bytes of derived variants kept in memory (LRU). */
  @EnvInt()
  @IsInt()
  @Min(0)
  IMAGES_CACHE_MEMORY_BYTES: number = 64 * 1024 * 1024;

  /** Bytes of derived variants kept on disk under DATA_DIR/images/variants (LRU). */
  @EnvInt()
  @IsInt()
  @Min(0)
  IMAGES_CACHE_DISK_BYTES: number = 1024 * 1024 * 1024;

  /** Embedded store: fsync each metadata write before acknowledging it. */
  @EnvBoolean()
  @IsBoolean()
  IMAGES_FSYNC: boolean = true;

  /** Upload requests per minute per caller (`POST /v1/images`). */
  @EnvInt()
  @IsInt()
  @Min(1)
  IMAGES_UPLOADS_PER_MINUTE: number = 120;

  /** Transform requests per minute per caller (`POST /v1/images/:id/transform`). */
  @EnvInt()
  @IsInt()
  @Min(1)
  IMAGES_TRANSFORMS_PER_MINUTE: number = 300;

  /** Most images in one `POST /v1/images/batch` job. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100_000)
  IMAGES_BATCH_MAX_IMAGES: number = 500;

  /** Most image operations (decode/encode) running at once in this process; more wait. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(64)
  IMAGES_MAX_CONCURRENT_OPERATIONS: number = 4;
}

export const imagesConfig = defineEnvNamespace('images', ImagesEnv, (env) => ({
  databaseUrl: env.DATABASE_URL || undefined,
  databaseSchema: env.IMAGES_DATABASE_SCHEMA,
  maxBytes: env.IMAGES_MAX_BYTES,
  maxPixels: env.IMAGES_MAX_PIXELS,
  maxFrames: env.IMAGES_MAX_FRAMES,
  maxFilesPerRequest: env.IMAGES_MAX_FILES_PER_REQUEST,
  variantSizes: [...new Set(env.IMAGES_VARIANT_SIZES)].sort((a, b) => a - b),
  outputFormats: [...new Set(env.IMAGES_OUTPUT_FORMATS)],
  transformMaxDimension: env.IMAGES_TRANSFORM_MAX_DIMENSION,
  cacheMemoryBytes: env.IMAGES_CACHE_MEMORY_BYTES,
  cacheDiskBytes: env.IMAGES_CACHE_DISK_BYTES,
  fsync: env.IMAGES_FSYNC,
  maxConcurrentOperations: env.IMAGES_MAX_CONCURRENT_OPERATIONS,
  batchMaxImages: env.IMAGES_BATCH_MAX_IMAGES,
  uploadsPerMinute: env.IMAGES_UPLOADS_PER_MINUTE,
  transformsPerMinute: env.IMAGES_TRANSFORMS_PER_MINUTE,
}));
export type ImagesConfig = ReturnType<typeof imagesConfig>;
