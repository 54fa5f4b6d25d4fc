import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { defineEnvNamespace, EnvBoolean, EnvInt } from '../../platform/config';

class RagEnv {
  /** PostgreSQL connection string; set: documents live in PostgreSQL (shared by all instances). */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** PostgreSQL schema of the RAG tables (created if missing). */
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'RAG_DATABASE_SCHEMA must be a lowercase SQL identifier' })
  RAG_DATABASE_SCHEMA: string = 'public';

  /** Target chunk size in characters (chunks never cross a heading). */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(20_000)
  RAG_CHUNK_TARGET_CHARS: number = 1_000;

  /** Characters of overlap between neighbouring chunks (at most half the target). */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(5_000)
  RAG_CHUNK_OVERLAP_CHARS: number = 150;

  /** Longest document accepted, in characters (413 beyond; the HTTP body limit applies first). */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  RAG_MAX_DOCUMENT_CHARS: number = 1_000_000;

  /** How long a search answer is reused; 0 disables the cache. */
  @EnvInt()
  @IsInt()
  @Min(0)
  RAG_SEARCH_CACHE_TTL_MS: number = 30_000;

  /** Embedded store: fsync each write before acknowledging it. */
  @EnvBoolean()
  @IsBoolean()
  RAG_FSYNC: boolean = true;

  /** Embedded store: compact the log into a snapshot after this many writes. */
  @EnvInt()
  @IsInt()
  @Min(1)
  RAG_SNAPSHOT_EVERY: number = 1_000;

  /** Embedding model; unset: the LLM gateway's default embedding model. */
  @IsOptional()
  @IsString()
  RAG_EMBED_MODEL?: string;

  /** Chat model for /v1/rag/answer; unset: the LLM gateway's default chat model. */
  @IsOptional()
  @IsString()
  RAG_ANSWER_MODEL?: string;

  /** Chunks per embedding request. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(512)
  RAG_EMBED_BATCH: number = 64;

  /**
   * How often documents without embeddings (stored while the LLM was down) or embedded with
   * another model are re-embedded in the background, while the LLM is available; 0 disables it.
   */
  @EnvInt()
  @IsInt()
  @Min(0)
  RAG_REEMBED_INTERVAL_MS: number = 30_000;

  /** Most documents re-embedded per background run. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(1_000)
  RAG_REEMBED_BATCH_DOCUMENTS: number = 20;
}

export const ragConfig = defineEnvNamespace('rag', RagEnv, (env) => ({
  databaseUrl: env.DATABASE_URL || undefined,
  databaseSchema: env.RAG_DATABASE_SCHEMA,
  chunking: {
    targetChars: env.RAG_CHUNK_TARGET_CHARS,
    overlapChars: Math.min(env.RAG_CHUNK_OVERLAP_CHARS, Math.floor(env.RAG_CHUNK_TARGET_CHARS / 2)),
  },
  maxDocumentChars: env.RAG_MAX_DOCUMENT_CHARS,
  searchCacheTtlMs: env.RAG_SEARCH_CACHE_TTL_MS,
  fsync: env.RAG_FSYNC,
  snapshotEvery: env.RAG_SNAPSHOT_EVERY,
  embedModel: env.RAG_EMBED_MODEL || undefined,
  embedBatch: env.RAG_EMBED_BATCH,
  answerModel: env.RAG_ANSWER_MODEL || undefined,
  reembed: { intervalMs: env.RAG_REEMBED_INTERVAL_MS, batchDocuments: env.RAG_REEMBED_BATCH_DOCUMENTS },
}));
export type RagConfig = ReturnType<typeof ragConfig>;
