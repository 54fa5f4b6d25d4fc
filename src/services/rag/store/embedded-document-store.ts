import MiniSearch from 'minisearch';
import { createHash } from 'node:crypto';
import type { Chunk } from '../chunking/chunk.types';
import type {
  ChunkHit,
  DocumentStore,
  EmbeddedChunkRef,
  DocumentSummary,
  Metadata,
  SearchOptions,
  StaleEmbeddingRef,
  StoredChunk,
  StoredDocument,
} from './document-store';
import { DurableLog } from '../../../platform/storage';
import { processLexicalTerm } from './lexical-terms';
import { dot, fromBase64, normalise, toBase64 } from './vector-math';

/** A chunk on disk: its text is `document.text.slice(start, end)`, so only offsets are kept. */
interface ChunkRecord {
  index: number;
  start: number;
  end: number;
  headingPath: string[];
  /** Float32 little-endian, base64. */
  embedding?: string;
}
interface DocumentEntry {
  tenant: string;
  document: StoredDocument;
  chunks: ChunkRecord[];
}
/** Embeddings set on a document's current text (the re-embedding backfill); no text is logged again. */
interface EmbedRecord {
  tenant: string;
  id: string;
  updatedAt: string;
  model: string;
  chunks: ChunkRecord[];
}
type Operation =
  ({ op: 'upsert' } & DocumentEntry) | { op: 'delete'; tenant: string; id: string } | ({ op: 'embed' } & EmbedRecord);

interface IndexedChunk extends Chunk {
  documentId: string;
  vector?: Float32Array;
}
interface TenantData {
  documents: Map<string, StoredDocument>;
  chunks: Map<string, IndexedChunk>;
  lexical: MiniSearch<{ id: string; text: string; heading: string }>;
}

export interface EmbeddedStoreOptions {
  /** Directory of the log and snapshot (under DATA_DIR). */
  dir: string;
  fsync: boolean;
  /** Snapshot (and empty the log) after this many writes. */
  snapshotEvery: number;
}

/** MiniSearch settings of every tenant's index. */
const LEXICAL_OPTIONS = {
  fields: ['text', 'heading'],
  storeFields: [],
  processTerm: processLexicalTerm,
  searchOptions: { boost: { heading: 1.5 }, processTerm: processLexicalTerm },
};

const chunkId = (documentId: string, index: number) => `${documentId}#${index}`;

function matches(metadata: Metadata, filter?: Metadata): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([k, v]) => metadata[k] === v);
}

function toChunkRecord(c: StoredChunk): ChunkRecord {
  return {
    index: c.index,
    start: c.start,
    end: c.end,
    headingPath: c.headingPath,
    ...(c.embedding ? { embedding: toBase64(normalise(c.embedding)) } : {}),
  };
}

/**
 * The default document store: everything in memory (MiniSearch BM25 per tenant, vectors in
 * Float32Arrays for brute-force cosine search), made durable by an append-only log in DATA_DIR
 * that is fsynced before a write is acknowledged and compacted into an atomically replaced
 * snapshot. One process owns the directory; for several instances use PostgreSQL.
 */
export class EmbeddedDocumentStore implements DocumentStore {
  readonly kind = 'embedded';
  private readonly tenants = new Map<string, TenantData>();
  private readonly log: DurableLog<Operation, DocumentEntry>;
  /** Writes are applied and logged one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Jobs running through {@link exclusive}. */
  private readonly runningJobs = new Set<string>();

  constructor(private readonly options: EmbeddedStoreOptions) {
    this.log = new DurableLog(options.dir, { fsync: options.fsync });
  }

  async open(): Promise<void> {
    this.tenants.clear();
    await this.log.load(
      (entry) => this.applyUpsert(entry),
      (op) => this.applyOperation(op),
    );
  }

  async close(): Promise<void> {
    await this.serialized(async () => {
      if (this.log.pendingOps > 0) await this.log.snapshot(this.entries());
      await this.log.close();
    });
  }

  upsert(tenant: string, document: StoredDocument, chunks: StoredChunk[]): Promise<{ created: boolean }> {
    const entry: DocumentEntry = { tenant, document, chunks: chunks.map(toChunkRecord) };
    return this.serialized(async () => {
      await this.log.append({ op: 'upsert', ...entry });
      const created = !this.tenants.get(tenant)?.documents.has(document.id);
      this.applyUpsert(entry);
      await this.maybeSnapshot();
      return { created };
    });
  }

  delete(tenant: string, id: string): Promise<boolean> {
    return this.serialized(async () => {
      if (!this.tenants.get(tenant)?.documents.has(id)) return false;
      await this.log.append({ op: 'delete', tenant, id });
      this.applyDelete(tenant, id);
      await this.maybeSnapshot();
      return true;
    });
  }

  setEmbeddingsIfUnchanged(
    tenant: string,
    id: string,
    updatedAt: string,
    model: string,
    chunks: StoredChunk[],
  ): Promise<boolean> {
    const record: EmbedRecord = { tenant, id, updatedAt, model, chunks: chunks.map(toChunkRecord) };
    return this.serialized(async () => {
      if (this.tenants.get(tenant)?.documents.get(id)?.updatedAt !== updatedAt) return false;
      await this.log.append({ op: 'embed', ...record });
      this.applyEmbed(record);
      await this.maybeSnapshot();
      return true;
    });
  }

  async listStaleEmbeddings(
    model: string | undefined,
    limit: number,
  ): Promise<{ items: StaleEmbeddingRef[]; total: number }> {
    const stale: StaleEmbeddingRef[] = [];
    for (const [tenant, data] of this.tenants) {
      for (const d of data.documents.values()) {
        if (d.embeddingModel === undefined || (model !== undefined && d.embeddingModel !== model))
          stale.push({ tenant, id: d.id, updatedAt: d.updatedAt });
      }
    }
    stale.sort(
      (a, b) => a.updatedAt.localeCompare(b.updatedAt) || a.tenant.localeCompare(b.tenant) || a.id.localeCompare(b.id),
    );
    return { items: stale.slice(0, limit), total: stale.length };
  }

  async get(tenant: string, id: string): Promise<StoredDocument | undefined> {
    return this.tenants.get(tenant)?.documents.get(id);
  }

  async list(
    tenant: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: DocumentSummary[]; total: number }> {
    const docs = [...(this.tenants.get(tenant)?.documents.values() ?? [])].sort(
      (a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id),
    );
    return {
      items: docs.slice(page.offset, page.offset + page.limit).map(({ text: _text, ...rest }) => rest),
      total: docs.length,
    };
  }

  async searchLexical(tenant: string, query: string, options: SearchOptions): Promise<ChunkHit[]> {
    const data = this.tenants.get(tenant);
    if (!data) return [];
    const results = data.lexical.search(query, {
      filter: options.filter
        ? (r) => matches(this.documentOf(data, r.id as string).metadata, options.filter)
        : undefined,
    });
    return results.slice(0, options.topK).map((r) => this.hit(data, data.chunks.get(r.id as string)!, r.score));
  }

  async searchVector(tenant: string, vector: number[], options: SearchOptions): Promise<ChunkHit[]> {
    const data = this.tenants.get(tenant);
    if (!data) return [];
    const q = normalise(vector);
    const scored: { chunk: IndexedChunk; score: number }[] = [];
    for (const chunk of data.chunks.values()) {
      if (!chunk.vector) continue;
      if (options.filter && !matches(data.documents.get(chunk.documentId)!.metadata, options.filter)) continue;
      scored.push({ chunk, score: dot(q, chunk.vector) });
    }
    scored.sort(
      (a, b) =>
        b.score - a.score || a.chunk.documentId.localeCompare(b.chunk.documentId) || a.chunk.index - b.chunk.index,
    );
    return scored.slice(0, options.topK).map((s) => this.hit(data, s.chunk, s.score));
  }

  async *scanEmbeddings(tenant: string, filter?: Metadata): AsyncIterable<EmbeddedChunkRef> {
    const data = this.tenants.get(tenant);
    if (!data) return;
    const ids = [...data.documents.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const id of ids) {
      // Read at each step: a document deleted meanwhile is skipped, not yielded half.
      const doc = data.documents.get(id);
      if (!doc || !matches(doc.metadata, filter)) continue;
      for (let index = 0; index < doc.chunkCount; index++) {
        const c = data.chunks.get(chunkId(id, index));
        if (!c?.vector) continue;
        yield {
          documentId: id,
          chunkIndex: index,
          text: c.text,
          ...(doc.title !== undefined ? { title: doc.title } : {}),
          metadata: doc.metadata,
          ...(doc.embeddingModel !== undefined ? { embeddingModel: doc.embeddingModel } : {}),
          embedding: c.vector.slice(),
        };
      }
    }
  }

  async corpusVersion(tenant: string): Promise<string> {
    const hash = createHash('sha256');
    const docs = [...(this.tenants.get(tenant)?.documents.values() ?? [])].sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    for (const d of docs) hash.update(`${d.id}\u0000${d.updatedAt}\u0000${d.embeddingModel ?? ''}\u0000`);
    return hash.digest('hex').slice(0, 32);
  }

  async stats(): Promise<{ documents: number; chunks: number; tenants: number }> {
    let documents = 0;
    let chunks = 0;
    for (const t of this.tenants.values()) {
      documents += t.documents.size;
      chunks += t.chunks.size;
    }
    return { documents, chunks, tenants: this.tenants.size };
  }

  /**
   * One process owns the data directory, so the claim is this instance's: a job already running
   * here is not started twice.
   */
  async exclusive<T>(job: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.runningJobs.has(job)) return undefined;
    this.runningJobs.add(job);
    try {
      return await fn();
    } finally {
      this.runningJobs.delete(job);
    }
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async maybeSnapshot(): Promise<void> {
    if (this.log.pendingOps >= this.options.snapshotEvery) await this.log.snapshot(this.entries());
  }

  private *entries(): Iterable<DocumentEntry> {
    for (const [tenant, data] of this.tenants) {
      for (const document of data.documents.values()) {
        const chunks: ChunkRecord[] = [];
        for (let index = 0; index < document.chunkCount; index++) {
          const c = data.chunks.get(chunkId(document.id, index))!;
          chunks.push({
            index,
            start: c.start,
            end: c.end,
            headingPath: c.headingPath,
            ...(c.vector ? { embedding: toBase64(c.vector) } : {}),
          });
        }
        yield { tenant, document, chunks };
      }
    }
  }

  private tenant(tenant: string): TenantData {
    let data = this.tenants.get(tenant);
    if (!data) {
      data = {
        documents: new Map(),
        chunks: new Map(),
        lexical: new MiniSearch(LEXICAL_OPTIONS),
      };
      this.tenants.set(tenant, data);
    }
    return data;
  }

  private applyOperation(op: Operation): void {
    switch (op.op) {
      case 'upsert':
        return this.applyUpsert(op);
      case 'delete':
        return this.applyDelete(op.tenant, op.id);
      case 'embed':
        return this.applyEmbed(op);
    }
  }

  /** Only onto the version it was computed from (always so on replay: the log is in order). */
  private applyEmbed({ tenant, id, updatedAt, model, chunks }: EmbedRecord): void {
    const document = this.tenants.get(tenant)?.documents.get(id);
    if (document?.updatedAt !== updatedAt) return;
    this.applyUpsert({ tenant, document: { ...document, embeddingModel: model }, chunks });
  }

  private applyUpsert({ tenant, document, chunks }: DocumentEntry): void {
    const data = this.tenant(tenant);
    this.removeChunks(data, document.id);
    data.documents.set(document.id, { ...document, chunkCount: chunks.length });
    const indexed = chunks.map((c) => ({
      index: c.index,
      start: c.start,
      end: c.end,
      headingPath: c.headingPath,
      text: document.text.slice(c.start, c.end),
      documentId: document.id,
      vector: c.embedding ? fromBase64(c.embedding) : undefined,
    }));
    for (const c of indexed) data.chunks.set(chunkId(document.id, c.index), c);
    data.lexical.addAll(
      indexed.map((c) => ({ id: chunkId(document.id, c.index), text: c.text, heading: c.headingPath.join(' ') })),
    );
  }

  private applyDelete(tenant: string, id: string): void {
    const data = this.tenants.get(tenant);
    if (!data) return;
    this.removeChunks(data, id);
    data.documents.delete(id);
  }

  private removeChunks(data: TenantData, documentId: string): void {
    const previous = data.documents.get(documentId);
    if (!previous) return;
    for (let index = 0; index < previous.chunkCount; index++) {
      const id = chunkId(documentId, index);
      if (data.lexical.has(id)) data.lexical.discard(id);
      data.chunks.delete(id);
    }
  }

  private documentOf(data: TenantData, chunkKey: string): StoredDocument {
    return data.documents.get(data.chunks.get(chunkKey)!.documentId)!;
  }

  private hit(data: TenantData, chunk: IndexedChunk, score: number): ChunkHit {
    const doc = data.documents.get(chunk.documentId)!;
    const { documentId, vector: _vector, ...plain } = chunk;
    return { documentId, chunk: plain, score, title: doc.title, metadata: doc.metadata };
  }
}
