import type { Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { FennecError, type ErrorKind } from '../../platform/errors';
import type { ChunkingOptions } from './chunking/chunk.types';
import { chunkDocument } from './chunking/markdown-chunker';
import type { RagEmbedder } from './rag-embedder';
import type { RagSearchCache } from './rag-search-cache';
import type { DocumentStore, StaleEmbeddingRef } from './store/document-store';

export interface EmbeddingBackfillOptions {
  /** Pause between runs; 0: no timer (runs only through {@link RagEmbeddingBackfill.runOnce}). */
  intervalMs: number;
  /** Most documents per run. */
  batchDocuments: number;
  /** The chunking of upserts, so a document's chunks are cut again exactly as they were. */
  chunking: ChunkingOptions;
}

export interface EmbeddingBackfillDeps {
  store: DocumentStore;
  embedder: RagEmbedder;
  cache: RagSearchCache;
  /** Documents re-embedded. */
  counter: Counter;
  logger: Logger;
}

export type EmbeddingBackfillState = 'disabled' | 'waiting for llm' | 'idle' | 'running';

/** Failures caused by one document's content (the LLM refused it): skip it for a while, go on. */
const DOCUMENT_FAILURES: ReadonlySet<ErrorKind> = new Set(['invalid', 'too_large']);
const MAX_BACKOFF_MS = 3_600_000;
const MAX_BACKED_OFF_LISTED = 1_000;

/** The store-wide claim (see {@link DocumentStore.exclusive}) one backfill run holds. */
const BACKFILL_JOB = 'rag-embedding-backfill';

const keyOf = (ref: StaleEmbeddingRef) => `${ref.tenant}\u0000${ref.id}`;

/**
 * Gives vectors to documents that lack them (stored while the LLM was down) or carry another
 * model's, while the LLM is available: a bounded batch per run, oldest first. Each document is
 * chunked again from its stored text, embedded, and written only if it was not replaced meanwhile
 * (`setEmbeddingsIfUnchanged`), so a user's newer upsert always wins. A failing LLM ends the run
 * (logged at warn); the next run retries.
 */
export class RagEmbeddingBackfill {
  /** Documents re-embedded since this process started. */
  reembedded = 0;
  private timer?: NodeJS.Timeout;
  private current?: Promise<number>;
  private stopped = false;
  private abort?: AbortController;
  /** Documents the LLM refused, by key: skipped until `retryAt` unless they change. */
  private readonly refused = new Map<string, { updatedAt: string; failures: number; retryAt: number }>();

  constructor(
    private readonly deps: EmbeddingBackfillDeps,
    private readonly options: EmbeddingBackfillOptions,
  ) {}

  get enabled(): boolean {
    return this.options.intervalMs > 0 && this.deps.embedder.configured;
  }

  start(): void {
    this.stopped = false;
    if (this.enabled) this.schedule();
  }

  /** No run starts and no document is written once this resolves; an embedding in flight is aborted. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    await this.current;
  }

  state(): EmbeddingBackfillState {
    if (!this.enabled) return 'disabled';
    if (this.current) return 'running';
    return this.deps.embedder.available() ? 'idle' : 'waiting for llm';
  }

  /**
   * One bounded run (joins one in progress); resolves to the documents re-embedded, never rejects.
   * Instances sharing a store take turns ({@link DocumentStore.exclusive}): while another one runs,
   * this run does nothing, so a backlog is embedded once, not once per instance.
   */
  runOnce(): Promise<number> {
    this.current ??= this.runExclusive().finally(() => (this.current = undefined));
    return this.current;
  }

  private async runExclusive(): Promise<number> {
    if (this.stopped || !this.deps.embedder.available()) return 0;
    try {
      const done = await this.deps.store.exclusive(BACKFILL_JOB, () => this.run());
      if (done === undefined) this.deps.logger.debug('another instance is re-embedding documents; skipped this run');
      return done ?? 0;
    } catch (err) {
      // The claim itself failed (store unreachable): like a failed run, retried on the next one.
      if (!this.stopped) this.deps.logger.warn({ err }, 're-embedding documents failed; retrying on the next run');
      return 0;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.runOnce().then(() => this.schedule()), this.options.intervalMs);
    this.timer.unref();
  }

  private async run(): Promise<number> {
    const { embedder, cache, logger } = this.deps;
    if (this.stopped || !embedder.available()) return 0;
    const abort = (this.abort = new AbortController());
    const tenants = new Set<string>();
    let done = 0;
    try {
      for (const ref of await this.due()) {
        if (this.stopped || !embedder.available()) break;
        try {
          if (await this.reembed(ref, abort.signal)) {
            done++;
            tenants.add(ref.tenant);
          }
        } catch (err) {
          if (this.stopped || !(err instanceof FennecError && DOCUMENT_FAILURES.has(err.kind))) throw err;
          const failures = (this.refused.get(keyOf(ref))?.failures ?? 0) + 1;
          const delay = Math.min(MAX_BACKOFF_MS, Math.max(1_000, this.options.intervalMs) * 2 ** failures);
          this.refused.set(keyOf(ref), { updatedAt: ref.updatedAt, failures, retryAt: Date.now() + delay });
          logger.warn({ err, tenant: ref.tenant, id: ref.id, retryInMs: delay }, 'the LLM refused to embed a document');
        }
      }
    } catch (err) {
      if (!this.stopped)
        logger.warn({ err, reembedded: done }, 're-embedding documents failed; retrying on the next run');
    } finally {
      // Searches cached before these writes would miss the new vectors.
      for (const tenant of tenants) await cache.invalidate(tenant);
    }
    if (done > 0) logger.log({ documents: done }, 're-embedded documents');
    return done;
  }

  /** This run's documents: the oldest stale ones, minus those the LLM refused recently. */
  private async due(): Promise<StaleEmbeddingRef[]> {
    const limit = this.options.batchDocuments + Math.min(this.refused.size, MAX_BACKED_OFF_LISTED);
    const { items } = await this.deps.store.listStaleEmbeddings(this.deps.embedder.targetModel(), limit);
    if (items.length < limit) {
      // The whole backlog was listed: forget refusals of documents no longer in it.
      const listed = new Set(items.map(keyOf));
      for (const key of this.refused.keys()) if (!listed.has(key)) this.refused.delete(key);
    }
    const now = Date.now();
    return items
      .filter((ref) => {
        const refused = this.refused.get(keyOf(ref));
        return !refused || refused.updatedAt !== ref.updatedAt || refused.retryAt <= now;
      })
      .slice(0, this.options.batchDocuments);
  }

  private async reembed(ref: StaleEmbeddingRef, signal: AbortSignal): Promise<boolean> {
    const { store, embedder, counter } = this.deps;
    const document = await store.get(ref.tenant, ref.id);
    // Replaced or deleted since it was listed: the next run sees the new version, if it needs vectors.
    if (document?.updatedAt !== ref.updatedAt) return false;
    const chunks = chunkDocument(document.text, this.options.chunking);
    if (chunks.length === 0) return false; // cannot happen for a stored document; never wipe its chunks
    const { vectors, model } = await embedder.embed(
      chunks.map((c) => c.text),
      signal,
    );
    if (vectors.length !== chunks.length) throw new Error(`${vectors.length} vectors for ${chunks.length} chunks`);
    if (this.stopped) return false;
    const applied = await store.setEmbeddingsIfUnchanged(
      ref.tenant,
      ref.id,
      ref.updatedAt,
      model,
      chunks.map((c, i) => ({ ...c, embedding: vectors[i] })),
    );
    this.refused.delete(keyOf(ref));
    if (applied) {
      this.reembedded++;
      counter.inc();
    }
    return applied;
  }
}
