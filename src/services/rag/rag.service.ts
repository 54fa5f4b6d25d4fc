import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../../platform/metrics';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { STATE_STORE, StateOutages, type StateStore } from '../../platform/state';
import { LLM_CLIENT, type LlmClient, LlmUnavailableError } from '../llm';
import { chunkDocument } from './chunking/markdown-chunker';
import type { AnswerRequestDto } from './dto/answer.dto';
import type { DocumentListDto, UpsertResultDto } from './dto/document.dto';
import type { SearchHitDto, SearchMode, SearchRequestDto, SearchResponseDto } from './dto/search.dto';
import type { UpsertDocumentDto } from './dto/upsert-document.dto';
import { ragConfig, type RagConfig } from './rag.config';
import { RagDocumentEmptyError, RagDocumentNotFoundError, RagDocumentTooLargeError } from './rag.errors';
import type { StreamingLlm } from './rag-answer';
import { RagEmbedder } from './rag-embedder';
import { type BackfillProgress, RagEmbeddingBackfill } from './rag-embedding-backfill';
import { RagSearchCache } from './rag-search-cache';
import { DOCUMENT_STORE, type ChunkHit, type DocumentStore, type StoredDocument } from './store/document-store';
import { reciprocalRankFusion } from './store/rank-fusion';

const DEFAULT_TOP_K = 5;
/** Each list fused by hybrid search brings this many candidates per requested result. */
const HYBRID_CANDIDATES_PER_RESULT = 4;

/**
 * Documents and search for retrieval-augmented generation. Lexical search always works;
 * vector and hybrid need embeddings from the LLM gateway (optional) and fall back to lexical,
 * saying so, without it; documents stored meanwhile get their vectors later, from a background
 * backfill. Depends on `state` for the search cache and `data-dir` for the embedded store's files.
 */
@ManagedService({
  name: 'rag',
  // Optional `jobs`: POST /v1/rag/reembed runs as a job when it is up (and the registry stops this
  // service before it); documents and search do not need it.
  dependsOn: ['state', 'data-dir', { name: 'llm', optional: true }, { name: 'jobs', optional: true }],
  critical: false,
  description: 'Document store and lexical/vector/hybrid search for RAG',
  startTimeoutMs: 60_000,
})
@Injectable()
export class RagService implements ManagedLifecycle {
  private readonly logger = new Logger('rag');
  private readonly cache: RagSearchCache;
  private readonly embedder: RagEmbedder;
  private readonly backfill: RagEmbeddingBackfill;
  private readonly searches: Counter<'mode' | 'cached'>;
  private readonly searchDuration: Histogram<'mode'>;

  constructor(
    @Inject(ragConfig.KEY) private readonly config: RagConfig,
    @Inject(DOCUMENT_STORE) private readonly store: DocumentStore,
    @Inject(STATE_STORE) state: StateStore,
    metrics: MetricsService,
    @Optional() @Inject(LLM_CLIENT) private readonly llm?: LlmClient,
    @Optional() outages?: StateOutages,
  ) {
    this.cache = new RagSearchCache(state, config.searchCacheTtlMs, outages);
    this.embedder = new RagEmbedder(llm, { model: config.embedModel, batch: config.embedBatch });
    this.backfill = new RagEmbeddingBackfill(
      {
        store,
        embedder: this.embedder,
        cache: this.cache,
        logger: this.logger,
        counter: new Counter({
          name: metrics.name('rag_reembedded_documents_total'),
          help: 'Documents given embeddings by the background backfill (stored while the LLM was down, or another model)',
          registers: [metrics.registry],
        }),
      },
      { ...config.reembed, chunking: config.chunking },
    );
    this.searches = new Counter({
      name: metrics.name('rag_searches_total'),
      help: 'RAG searches, by the mode that ran and whether the cache answered',
      labelNames: ['mode', 'cached'],
      registers: [metrics.registry],
    });
    this.searchDuration = new Histogram({
      name: metrics.name('rag_search_duration_seconds'),
      help: 'Time to answer a RAG search (uncached), by the mode that ran',
      labelNames: ['mode'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [metrics.registry],
    });
  }

  async start(): Promise<void> {
    const began = Date.now();
    await this.store.open();
    this.logger.log(
      { store: this.store.kind, ...(await this.store.stats()), durationMs: Date.now() - began },
      'document store open',
    );
    this.backfill.start();
  }

  async stop(): Promise<void> {
    await this.backfill.stop();
    await this.store.close();
  }

  /**
   * Re-embeds every document lacking vectors of the target model now (the `rag.reembed` job),
   * reporting per document; see {@link RagEmbeddingBackfill.runAll}.
   */
  reembedAll(signal: AbortSignal, report: (progress: BackfillProgress) => void): Promise<BackfillProgress> {
    return this.backfill.runAll(signal, report);
  }

  /** LLM.UNAVAILABLE unless embeddings are configured (re-embedding could never run). */
  requireEmbeddings(): void {
    if (!this.embedder.configured) {
      throw new LlmUnavailableError('Re-embedding needs the LLM gateway, which is not configured');
    }
  }

  async checkHealth(): Promise<ServiceHealthReport> {
    const [stats, stale] = await Promise.all([
      this.store.stats(),
      this.store.listStaleEmbeddings(this.embedder.targetModel(), 0),
    ]);
    return {
      status: 'UP',
      details: {
        store: this.store.kind,
        ...stats,
        vectorSearch: this.llmAvailable() ? 'available' : 'unavailable',
        awaitingEmbeddings: stale.total,
        reembedding: this.backfill.state(),
        reembedded: this.backfill.reembedded,
      },
    };
  }

  async upsert(tenant: string, input: UpsertDocumentDto): Promise<UpsertResultDto> {
    if (input.text.length > this.config.maxDocumentChars) {
      throw new RagDocumentTooLargeError(
        `The document is ${input.text.length} characters; the limit is ${this.config.maxDocumentChars}`,
      );
    }
    const id = input.id ?? randomUUID();
    const chunks = chunkDocument(input.text, this.config.chunking);
    if (chunks.length === 0) throw new RagDocumentEmptyError('The document has no text to index');
    const embedded = await this.embedChunks(chunks.map((c) => c.text));
    const previous = await this.store.get(tenant, id);
    // Strictly newer than the version replaced: the backfill's conditional write tells them apart.
    const now = new Date(Math.max(Date.now(), previous ? Date.parse(previous.updatedAt) + 1 : 0)).toISOString();
    const document: StoredDocument = {
      id,
      title: input.title,
      format: input.format ?? 'markdown',
      text: input.text,
      metadata: input.metadata ?? {},
      chunkCount: chunks.length,
      ...(embedded ? { embeddingModel: embedded.model } : {}),
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    };
    const { created } = await this.store.upsert(
      tenant,
      document,
      chunks.map((c, i) => ({ ...c, embedding: embedded?.vectors[i] })),
    );
    await this.cache.invalidate(tenant);
    return { id, created, chunks: chunks.length, embedded: embedded !== undefined };
  }

  async get(tenant: string, id: string): Promise<StoredDocument> {
    const doc = await this.store.get(tenant, id);
    if (!doc) throw new RagDocumentNotFoundError(id);
    return doc;
  }

  async list(tenant: string, offset: number, limit: number): Promise<DocumentListDto> {
    return { ...(await this.store.list(tenant, { offset, limit })), offset, limit };
  }

  async delete(tenant: string, id: string): Promise<void> {
    if (!(await this.store.delete(tenant, id))) throw new RagDocumentNotFoundError(id);
    await this.cache.invalidate(tenant);
  }

  async search(tenant: string, request: SearchRequestDto): Promise<SearchResponseDto> {
    const started = performance.now();
    const mode: SearchMode = request.mode ?? 'hybrid';
    const topK = request.topK ?? DEFAULT_TOP_K;
    const modeUsed: SearchMode = mode === 'lexical' || this.llmAvailable() ? mode : 'lexical';
    const fallbackReason = modeUsed === mode ? undefined : this.llm ? 'llm unavailable' : 'llm not configured';
    const cacheKey = { q: request.query, topK, modeUsed, filter: request.filter ?? null };
    const cached = await this.cache.get<SearchHitDto[]>(tenant, cacheKey);
    if (cached.value) {
      this.searches.inc({ mode: modeUsed, cached: 'true' });
      return { mode, modeUsed, fallbackReason, cached: true, results: cached.value, timingMs: elapsed(started) };
    }
    const options = { topK, filter: request.filter };
    let hits: ChunkHit[];
    switch (modeUsed) {
      case 'lexical':
        hits = await this.store.searchLexical(tenant, request.query, options);
        break;
      case 'vector':
        hits = await this.store.searchVector(tenant, await this.embedQuery(request.query), options);
        break;
      case 'hybrid': {
        const wide = { ...options, topK: Math.min(200, topK * HYBRID_CANDIDATES_PER_RESULT) };
        const [lexical, vector] = await Promise.all([
          this.store.searchLexical(tenant, request.query, wide),
          this.embedQuery(request.query).then((v) => this.store.searchVector(tenant, v, wide)),
        ]);
        hits = reciprocalRankFusion([lexical, vector], topK);
        break;
      }
    }
    const results = hits.map(toHitDto);
    await this.cache.set(cached.key, results);
    this.searches.inc({ mode: modeUsed, cached: 'false' });
    this.searchDuration.observe({ mode: modeUsed }, (performance.now() - started) / 1000);
    return { mode, modeUsed, fallbackReason, cached: false, results, timingMs: elapsed(started) };
  }

  /**
   * Everything an answer needs before its stream opens: the LLM (503 LLM.UNAVAILABLE otherwise,
   * while search keeps working) and the passages, retrieved in the caller's tenant.
   */
  async prepareAnswer(
    tenant: string,
    request: AnswerRequestDto,
  ): Promise<{ llm: StreamingLlm; passages: SearchHitDto[]; model?: string }> {
    const llm = this.llm;
    if (!llm?.chatStream || !this.llmAvailable()) {
      throw new LlmUnavailableError(
        'Answers need the LLM gateway, which is not available right now; search still works',
      );
    }
    const { results } = await this.search(tenant, {
      query: request.query,
      topK: request.topK,
      mode: request.mode,
      filter: request.filter,
    });
    return { llm: { chatStream: llm.chatStream.bind(llm) }, passages: results, model: this.config.answerModel };
  }

  private llmAvailable(): boolean {
    return this.embedder.available();
  }

  private embedQuery(query: string): Promise<number[]> {
    return this.embedder.embedQuery(query);
  }

  /** Embeddings for every chunk, or undefined when the LLM is down or fails (stored lexical-only). */
  private async embedChunks(texts: string[]): Promise<{ vectors: number[][]; model: string } | undefined> {
    if (!this.llmAvailable()) return undefined;
    try {
      return await this.embedder.embed(texts);
    } catch (err) {
      this.logger.warn({ err }, 'embedding failed; storing the document for lexical search only (re-embedded later)');
      return undefined;
    }
  }
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 100) / 100;

function toHitDto(hit: ChunkHit): SearchHitDto {
  return {
    documentId: hit.documentId,
    chunkIndex: hit.chunk.index,
    text: hit.chunk.text,
    score: hit.score,
    start: hit.chunk.start,
    end: hit.chunk.end,
    headingPath: hit.chunk.headingPath,
    title: hit.title,
    metadata: hit.metadata,
  };
}
