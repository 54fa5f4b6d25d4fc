import type { Pool, PoolClient } from 'pg';
import type {
  ChunkHit,
  DocumentStore,
  DocumentSummary,
  EmbeddedChunkRef,
  Metadata,
  SearchOptions,
  StaleEmbeddingRef,
  StoredChunk,
  StoredDocument,
} from './document-store';
import { RAG_MIGRATIONS } from './postgres-migrations';
import { inTransaction, SchemaPool } from '../../../platform/storage';
import { dot, normalise } from './vector-math';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema holding the tables (created if missing). Default `public`. */
  schema?: string;
  poolSize?: number;
}

/** Arbitrary constant: the advisory lock key that serialises migrations across instances. */
const MIGRATION_LOCK = 0x7a6_f00d;
/**
 * First half of the two-int advisory lock keys of {@link PostgresDocumentStore.exclusive} (the
 * second is a hash of schema and job). Two-int keys never collide with one-bigint keys such as
 * {@link MIGRATION_LOCK}: PostgreSQL keeps the two key spaces apart.
 */
const JOB_LOCK_CLASS = 0x46_454e_43; // "FENC"
/** Chunks per query of {@link PostgresDocumentStore.scanEmbeddings}. */
const SCAN_PAGE = 500;

interface DocumentRow {
  id: string;
  title: string | null;
  format: StoredDocument['format'];
  body?: string;
  metadata: StoredDocument['metadata'];
  chunk_count: number;
  embedding_model: string | null;
  created_at: Date;
  updated_at: Date;
}
interface ChunkRow {
  document_id: string;
  idx: number;
  start_offset: number;
  end_offset: number;
  heading_path: string[];
  body: string;
  score?: number;
  embedding?: number[];
  title: string | null;
  metadata: StoredDocument['metadata'];
}

function toSummary(r: DocumentRow): DocumentSummary {
  return {
    id: r.id,
    ...(r.title !== null ? { title: r.title } : {}),
    format: r.format,
    metadata: r.metadata,
    chunkCount: r.chunk_count,
    ...(r.embedding_model !== null ? { embeddingModel: r.embedding_model } : {}),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

function toHit(r: ChunkRow, score: number): ChunkHit {
  return {
    documentId: r.document_id,
    chunk: { index: r.idx, text: r.body, start: r.start_offset, end: r.end_offset, headingPath: r.heading_path },
    score,
    ...(r.title !== null ? { title: r.title } : {}),
    metadata: r.metadata,
  };
}

/**
 * PostgreSQL document store: one corpus shared by every Fennec instance. Lexical search is
 * full-text search (`tsvector`, `ts_rank_cd`, terms OR-ed like BM25 engines do); vectors are
 * stored as `real[]` and ranked by cosine in this process (pgvector is not used yet, see
 * docs/services.md). Tenancy is a column in every key and every query.
 */
export class PostgresDocumentStore implements DocumentStore {
  readonly kind = 'postgres';
  private readonly pool: SchemaPool;
  private readonly schema: string;

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema ?? 'public';
    this.pool = new SchemaPool({
      connectionString: options.connectionString,
      // At least two: `exclusive` holds one connection while its job queries through the others.
      max: Math.max(2, options.poolSize ?? 10),
      what: 'document store',
      schema: this.schema,
      table: 'rag_schema_migrations',
      lockKey: MIGRATION_LOCK,
      migrations: RAG_MIGRATIONS,
    });
  }

  private get t() {
    return {
      docs: `${this.schema}.rag_documents`,
      chunks: `${this.schema}.rag_chunks`,
    };
  }

  open(): Promise<void> {
    return this.pool.open();
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private db(): Pool {
    return this.pool.db;
  }

  private transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.db(), fn);
  }

  async upsert(tenant: string, d: StoredDocument, chunks: StoredChunk[]): Promise<{ created: boolean }> {
    return this.transaction(async (c) => {
      const { rows } = await c.query<{ created: boolean }>(
        `INSERT INTO ${this.t.docs} (tenant, id, title, format, body, metadata, chunk_count, embedding_model, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant, id) DO UPDATE SET title = EXCLUDED.title, format = EXCLUDED.format, body = EXCLUDED.body,
           metadata = EXCLUDED.metadata, chunk_count = EXCLUDED.chunk_count, embedding_model = EXCLUDED.embedding_model,
           updated_at = EXCLUDED.updated_at
         RETURNING (xmax = 0) AS created`,
        [
          tenant,
          d.id,
          d.title ?? null,
          d.format,
          d.text,
          JSON.stringify(d.metadata),
          chunks.length,
          d.embeddingModel ?? null,
          d.createdAt,
          d.updatedAt,
        ],
      );
      await this.replaceChunks(c, tenant, d.id, chunks);
      return { created: rows[0].created };
    });
  }

  async setEmbeddingsIfUnchanged(
    tenant: string,
    id: string,
    updatedAt: string,
    model: string,
    chunks: StoredChunk[],
  ): Promise<boolean> {
    return this.transaction(async (c) => {
      // The row lock taken here orders this against a concurrent upsert of the same document: an
      // upsert that committed first changed updated_at (no row matches), one that comes later waits.
      const { rowCount } = await c.query(
        `UPDATE ${this.t.docs} SET embedding_model = $4, chunk_count = $5
         WHERE tenant = $1 AND id = $2 AND updated_at = $3::timestamptz`,
        [tenant, id, updatedAt, model, chunks.length],
      );
      if (!rowCount) return false;
      await this.replaceChunks(c, tenant, id, chunks);
      return true;
    });
  }

  async listStaleEmbeddings(
    model: string | undefined,
    limit: number,
  ): Promise<{ items: StaleEmbeddingRef[]; total: number }> {
    const where = `embedding_model IS NULL OR ($1::text IS NOT NULL AND embedding_model <> $1::text)`;
    const [items, total] = await Promise.all([
      this.db().query<{ tenant: string; id: string; updated_at: Date }>(
        `SELECT tenant, id, updated_at FROM ${this.t.docs} WHERE ${where}
         ORDER BY updated_at, tenant, id LIMIT $2`,
        [model ?? null, limit],
      ),
      this.db().query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.docs} WHERE ${where}`, [model ?? null]),
    ]);
    return {
      items: items.rows.map((r) => ({ tenant: r.tenant, id: r.id, updatedAt: r.updated_at.toISOString() })),
      total: Number(total.rows[0].n),
    };
  }

  async get(tenant: string, id: string): Promise<StoredDocument | undefined> {
    const { rows } = await this.db().query<DocumentRow>(`SELECT * FROM ${this.t.docs} WHERE tenant = $1 AND id = $2`, [
      tenant,
      id,
    ]);
    return rows[0] ? { ...toSummary(rows[0]), text: rows[0].body! } : undefined;
  }

  async list(
    tenant: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: DocumentSummary[]; total: number }> {
    const [items, total] = await Promise.all([
      this.db().query<DocumentRow>(
        `SELECT id, title, format, metadata, chunk_count, embedding_model, created_at, updated_at FROM ${this.t.docs}
         WHERE tenant = $1 ORDER BY updated_at DESC, id ASC OFFSET $2 LIMIT $3`,
        [tenant, page.offset, page.limit],
      ),
      this.db().query<{ n: string }>(`SELECT count(*) AS n FROM ${this.t.docs} WHERE tenant = $1`, [tenant]),
    ]);
    return { items: items.rows.map(toSummary), total: Number(total.rows[0].n) };
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const { rowCount } = await this.db().query(`DELETE FROM ${this.t.docs} WHERE tenant = $1 AND id = $2`, [
      tenant,
      id,
    ]);
    return (rowCount ?? 0) > 0;
  }

  async searchLexical(tenant: string, query: string, options: SearchOptions): Promise<ChunkHit[]> {
    // plainto_tsquery ANDs the terms; ranking engines (BM25) OR them and let relevance sort.
    const { rows } = await this.db().query<ChunkRow>(
      `WITH q AS (SELECT NULLIF(replace(plainto_tsquery('english', $2)::text, '&', '|'), '')::tsquery AS q)
       SELECT c.document_id, c.idx, c.start_offset, c.end_offset, c.heading_path, c.body, d.title, d.metadata,
              ts_rank_cd(c.tsv, q.q, 32) AS score
       FROM ${this.t.chunks} c JOIN ${this.t.docs} d ON d.tenant = c.tenant AND d.id = c.document_id, q
       WHERE c.tenant = $1 AND q.q IS NOT NULL AND c.tsv @@ q.q AND ($3::jsonb IS NULL OR d.metadata @> $3::jsonb)
       ORDER BY score DESC, c.document_id, c.idx LIMIT $4`,
      [tenant, query, options.filter ? JSON.stringify(options.filter) : null, options.topK],
    );
    return rows.map((r) => toHit(r, Number(r.score)));
  }

  async searchVector(tenant: string, vector: number[], options: SearchOptions): Promise<ChunkHit[]> {
    const { rows } = await this.db().query<ChunkRow>(
      `SELECT c.document_id, c.idx, c.start_offset, c.end_offset, c.heading_path, c.body, c.embedding, d.title, d.metadata
       FROM ${this.t.chunks} c JOIN ${this.t.docs} d ON d.tenant = c.tenant AND d.id = c.document_id
       WHERE c.tenant = $1 AND c.embedding IS NOT NULL AND ($2::jsonb IS NULL OR d.metadata @> $2::jsonb)`,
      [tenant, options.filter ? JSON.stringify(options.filter) : null],
    );
    const q = normalise(vector);
    return rows
      .map((r) => ({ r, score: dot(q, Float32Array.from(r.embedding!)) }))
      .sort((a, b) => b.score - a.score || a.r.document_id.localeCompare(b.r.document_id) || a.r.idx - b.r.idx)
      .slice(0, options.topK)
      .map(({ r, score }) => toHit(r, score));
  }

  private async replaceChunks(c: PoolClient, tenant: string, documentId: string, chunks: StoredChunk[]): Promise<void> {
    await c.query(`DELETE FROM ${this.t.chunks} WHERE tenant = $1 AND document_id = $2`, [tenant, documentId]);
    if (chunks.length > 0) {
      await c.query(
        `INSERT INTO ${this.t.chunks} (tenant, document_id, idx, start_offset, end_offset, heading_path, body, embedding)
           SELECT $1, $2, u.idx, u.s, u.e, ARRAY(SELECT json_array_elements_text(u.hp)), u.body,
                  CASE WHEN u.emb IS NULL THEN NULL ELSE ARRAY(SELECT json_array_elements_text(u.emb)::real) END
           FROM unnest($3::int[], $4::int[], $5::int[], $6::json[], $7::text[], $8::json[]) AS u(idx, s, e, hp, body, emb)`,
        [
          tenant,
          documentId,
          chunks.map((ch) => ch.index),
          chunks.map((ch) => ch.start),
          chunks.map((ch) => ch.end),
          chunks.map((ch) => JSON.stringify(ch.headingPath)),
          chunks.map((ch) => ch.text),
          chunks.map((ch) => (ch.embedding ? JSON.stringify(Array.from(normalise(ch.embedding))) : null)),
        ],
      );
    }
  }

  /**
   * A session-level advisory lock, tried (never waited for) on a connection held for the whole of
   * `fn`: PostgreSQL drops it with the session, so an instance that dies mid-job frees it at once.
   * A connection that breaks during `fn` loses the lock early; the jobs this serves only write
   * idempotently (see {@link setEmbeddingsIfUnchanged}), so the worst case is work done twice.
   * The held connection is one of the pool's; `fn` queries through the others.
   */
  async exclusive<T>(job: string, fn: () => Promise<T>): Promise<T | undefined> {
    const client = await this.db().connect();
    const key = [JOB_LOCK_CLASS, `${this.schema}:${job}`];
    // Set when a query of ours fails: the session is then destroyed, not pooled (which also drops
    // any lock it holds). An error of `fn` leaves the session as good as it was.
    let unusable: Error | undefined;
    const query = <R extends object>(sql: string) =>
      client.query<R>(sql, key).catch((err: Error) => {
        unusable = err;
        throw err;
      });
    try {
      const { rows } = await query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS locked');
      if (!rows[0].locked) return undefined;
      try {
        return await fn();
      } finally {
        await query('SELECT pg_advisory_unlock($1::int, hashtext($2))').catch(() => undefined);
      }
    } finally {
      client.release(unusable);
    }
  }

  /** Keyset pages of {@link SCAN_PAGE} chunks, so a large corpus streams through without being held. */
  async *scanEmbeddings(tenant: string, filter?: Metadata): AsyncIterable<EmbeddedChunkRef> {
    let after: [string, number] = ['', -1];
    for (;;) {
      const { rows } = await this.db().query<ChunkRow & { embedding_model: string | null }>(
        `SELECT c.document_id, c.idx, c.body, c.embedding, d.title, d.metadata, d.embedding_model
         FROM ${this.t.chunks} c JOIN ${this.t.docs} d ON d.tenant = c.tenant AND d.id = c.document_id
         WHERE c.tenant = $1 AND c.embedding IS NOT NULL AND ($2::jsonb IS NULL OR d.metadata @> $2::jsonb)
           AND (c.document_id COLLATE "C" > $3::text OR (c.document_id = $3::text AND c.idx > $4::int))
         ORDER BY c.document_id COLLATE "C", c.idx LIMIT ${SCAN_PAGE}`,
        [tenant, filter ? JSON.stringify(filter) : null, after[0], after[1]],
      );
      for (const r of rows) {
        yield {
          documentId: r.document_id,
          chunkIndex: r.idx,
          text: r.body,
          ...(r.title !== null ? { title: r.title } : {}),
          metadata: r.metadata,
          ...(r.embedding_model !== null ? { embeddingModel: r.embedding_model } : {}),
          embedding: Float32Array.from(r.embedding!),
        };
      }
      if (rows.length < SCAN_PAGE) return;
      const last = rows[rows.length - 1];
      after = [last.document_id, last.idx];
    }
  }

  async corpusVersion(tenant: string): Promise<string> {
    const { rows } = await this.db().query<{ v: string | null }>(
      `SELECT md5(string_agg(id || chr(1) || to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
                             || chr(1) || coalesce(embedding_model, ''), chr(2) ORDER BY id COLLATE "C")) AS v
       FROM ${this.t.docs} WHERE tenant = $1`,
      [tenant],
    );
    return rows[0].v ?? 'empty';
  }

  async stats(): Promise<{ documents: number; chunks: number; tenants: number }> {
    const { rows } = await this.db().query<{ documents: string; chunks: string; tenants: string }>(
      `SELECT (SELECT count(*) FROM ${this.t.docs}) AS documents, (SELECT count(*) FROM ${this.t.chunks}) AS chunks,
              (SELECT count(DISTINCT tenant) FROM ${this.t.docs}) AS tenants`,
    );
    return { documents: Number(rows[0].documents), chunks: Number(rows[0].chunks), tenants: Number(rows[0].tenants) };
  }
}
