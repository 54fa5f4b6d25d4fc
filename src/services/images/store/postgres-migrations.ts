import type { SchemaMigration } from '../../../platform/storage';

/**
 * Schema of the PostgreSQL image metadata store, as ordered migrations. Applied at start under an
 * advisory lock (several instances may start at once); each runs once, in its own transaction.
 * `{schema}` is replaced by the configured schema name.
 */
export const IMAGES_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'images with content hash, perceptual hash and caption',
    sql: `
      CREATE TABLE {schema}.images (
        tenant text NOT NULL,
        id text NOT NULL,
        sha256 text NOT NULL,
        phash bigint NOT NULL,
        format text NOT NULL,
        original_format text NOT NULL,
        width integer NOT NULL,
        height integer NOT NULL,
        bytes bigint NOT NULL,
        frames integer NOT NULL,
        orientation smallint,
        metadata_stripped boolean NOT NULL,
        source text NOT NULL,
        filename text,
        caption text,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, id),
        UNIQUE (tenant, sha256)
      );
      CREATE INDEX images_recent ON {schema}.images (tenant, created_at DESC, id);
      CREATE INDEX images_sha ON {schema}.images (sha256);
    `,
  },
  {
    version: 2,
    name: 'caption provenance, checks and score',
    sql: `ALTER TABLE {schema}.images ADD COLUMN caption_info jsonb;`,
  },
];
