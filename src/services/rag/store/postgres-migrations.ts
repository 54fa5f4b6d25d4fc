import type { SchemaMigration } from '../../../platform/storage';

/**
 * Schema of the PostgreSQL document store, as ordered migrations. Applied at start under an
 * advisory lock (several instances may start at once); each runs once, in its own transaction.
 * `{schema}` is replaced by the configured schema name.
 */
export const RAG_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'documents and chunks with full-text search',
    sql: `
      CREATE TABLE {schema}.rag_documents (
        tenant text NOT NULL,
        id text NOT NULL,
        title text,
        format text NOT NULL,
        body text NOT NULL,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        chunk_count integer NOT NULL,
        embedding_model text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX rag_documents_recent ON {schema}.rag_documents (tenant, updated_at DESC, id);
      CREATE INDEX rag_documents_metadata ON {schema}.rag_documents USING gin (metadata jsonb_path_ops);
      CREATE TABLE {schema}.rag_chunks (
        tenant text NOT NULL,
        document_id text NOT NULL,
        idx integer NOT NULL,
        start_offset integer NOT NULL,
        end_offset integer NOT NULL,
        heading_path text[] NOT NULL,
        body text NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED,
        embedding real[],
        PRIMARY KEY (tenant, document_id, idx),
        FOREIGN KEY (tenant, document_id) REFERENCES {schema}.rag_documents (tenant, id) ON DELETE CASCADE
      );
      CREATE INDEX rag_chunks_tsv ON {schema}.rag_chunks USING gin (tsv);
    `,
  },
];
