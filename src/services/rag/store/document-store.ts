import type { Chunk } from '../chunking/chunk.types';

export type MetadataValue = string | number | boolean;
export type Metadata = Record<string, MetadataValue>;
export const DOCUMENT_FORMATS = ['text', 'markdown'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** A document as stored: the source text, its metadata and bookkeeping. */
export interface StoredDocument {
  id: string;
  title?: string;
  format: DocumentFormat;
  text: string;
  metadata: Metadata;
  chunkCount: number;
  /** Model whose vectors the chunks carry; absent when the document was stored without embeddings. */
  embeddingModel?: string;
  createdAt: string;
  updatedAt: string;
}

/** A chunk as stored: its place in the source, and optionally its embedding. */
export interface StoredChunk extends Chunk {
  embedding?: number[];
}

export type DocumentSummary = Omit<StoredDocument, 'text'>;

/** One search result: the chunk, its document's id and metadata, and a score (higher is better). */
export interface ChunkHit {
  documentId: string;
  chunk: Chunk;
  score: number;
  title?: string;
  metadata: Metadata;
}

/** A document whose chunks lack vectors of the wanted model (see {@link DocumentStore.listStaleEmbeddings}). */
export interface StaleEmbeddingRef {
  tenant: string;
  id: string;
  updatedAt: string;
}

/** A chunk with its embedding, as {@link DocumentStore.scanEmbeddings} yields it (projections, analysis). */
export interface EmbeddedChunkRef {
  documentId: string;
  chunkIndex: number;
  text: string;
  title?: string;
  metadata: Metadata;
  /** Model the vector came from (the document's `embeddingModel`). */
  embeddingModel?: string;
  /** Unit length, as stored. */
  embedding: Float32Array;
}

export interface SearchOptions {
  topK: number;
  /** Every key must equal the document's metadata value. */
  filter?: Metadata;
}

/**
 * Where RAG documents live. Every call is scoped to a tenant: nothing a tenant stores is listed,
 * found or deleted through another tenant's calls. A write resolves only once it is durable.
 * Implementations: {@link EmbeddedDocumentStore} (DATA_DIR) and {@link PostgresDocumentStore}.
 */
export interface DocumentStore {
  readonly kind: 'embedded' | 'postgres';
  open(): Promise<void>;
  close(): Promise<void>;
  /** Inserts or replaces a document and all its chunks; `created` is false for a replacement. */
  upsert(tenant: string, document: StoredDocument, chunks: StoredChunk[]): Promise<{ created: boolean }>;
  get(tenant: string, id: string): Promise<StoredDocument | undefined>;
  /** Newest first (by `updatedAt`, then id). */
  list(tenant: string, page: { offset: number; limit: number }): Promise<{ items: DocumentSummary[]; total: number }>;
  delete(tenant: string, id: string): Promise<boolean>;
  /** BM25-style full-text search over chunk text. */
  searchLexical(tenant: string, query: string, options: SearchOptions): Promise<ChunkHit[]>;
  /** Cosine similarity against chunk embeddings (chunks without one are not candidates). */
  searchVector(tenant: string, vector: number[], options: SearchOptions): Promise<ChunkHit[]>;
  /**
   * Documents of every tenant whose `embeddingModel` is absent or (when `model` is given) differs
   * from `model`: at most `limit` of them, oldest `updatedAt` first, and how many there are in all.
   */
  listStaleEmbeddings(model: string | undefined, limit: number): Promise<{ items: StaleEmbeddingRef[]; total: number }>;
  /**
   * Atomically replaces the document's chunks with `chunks` (cut from its current text, each with
   * its embedding) and sets its `embeddingModel`, only if its `updatedAt` is still `updatedAt`:
   * a newer upsert (or a delete) in between wins and this returns false. `updatedAt` is kept.
   */
  setEmbeddingsIfUnchanged(
    tenant: string,
    id: string,
    updatedAt: string,
    model: string,
    chunks: StoredChunk[],
  ): Promise<boolean>;
  /**
   * Every chunk of `tenant` that has an embedding and whose document's metadata matches `filter`
   * (as in search), in a stable order (document id, then chunk index), a page at a time so that
   * callers can sample a large corpus without holding it.
   */
  scanEmbeddings(tenant: string, filter?: Metadata): AsyncIterable<EmbeddedChunkRef>;
  /**
   * An opaque marker of the tenant's corpus, a digest of its documents' ids, versions and
   * embedding models: it changes when a document is added, replaced, deleted or re-embedded, is
   * the same for the same documents (across restarts too), and caches of derived data compare it.
   */
  corpusVersion(tenant: string): Promise<string>;
  /** Counts for health and benchmarks. */
  stats(): Promise<{ documents: number; chunks: number; tenants: number }>;
  /**
   * Runs `fn` unless another process sharing this store's data runs the same `job` right now:
   * resolves to `fn`'s result, or to `undefined` without calling it when the job is taken
   * elsewhere. The claim is released when `fn` settles, or when the holding process dies. Used so
   * that N instances on one PostgreSQL database re-embed the backlog once, not N times.
   */
  exclusive<T>(job: string, fn: () => Promise<T>): Promise<T | undefined>;
}

/** DI token of the configured {@link DocumentStore}. */
export const DOCUMENT_STORE = Symbol('DOCUMENT_STORE');
