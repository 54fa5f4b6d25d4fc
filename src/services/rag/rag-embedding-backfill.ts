import type { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counter } from 'prom-client';
import { FennecError, type ErrorKind } from '../../platform/errors';
import { LlmUnavailableError } from '../llm';
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

/** Where a whole-backlog run ({@link RagEmbeddingBackfill.runAll}) stands. */
export interface BackfillProgress {
  /** Documents re-embedded by this run so far. */
  reembedded: number;
  /** Documents still lacking vectors of the target model (of every tenant), as last counted. */
  remaining: number;
}

/** One bounded batch: documents re-embedded, and how many were due when it began. */
interface BatchOutcome {
  done: number;
  due: number;
}

/** Failures caused by one document's content (the LLM refused it): skip it for a while, go on. */
const DOCUMENT_FAILURES: ReadonlySet<ErrorKind> = new Set(['invalid', 'too_large']);
const MAX_BACKOFF_MS = 3_600_000;
const MAX_BACKED_OFF_LISTED = 1_000;

/** The store-wide claim (see {@link DocumentStore.exclusive}) one backfill run holds. */
const BACKFILL_JOB = 'rag-embedding-backfill';
/** A whole-backlog run waits this long before asking again for a claim another run holds. */
const CLAIM_RETRY_MS = 250;

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
  /** Aborted by stop(): ends every run in flight (timer and whole-backlog runs). */
  private stopping = new AbortController();
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
    this.stopping = new AbortController();
    if (this.enabled) this.schedule();
  }

  /** No run starts and no document is written once this resolves; an embedding in flight is aborted. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopping.abort(new Error('the RAG service is stopping'));
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

  /** A timer run: one bounded batch; a failing LLM ends it (logged), the next run retries. */
  private async run(): Promise<number> {
    if (this.stopped || !this.deps.embedder.available()) return 0;
    let done = 0;
    try {
      await this.batch(this.stopping.signal, () => done++);
    } catch (err) {
      if (!this.stopped)
        this.deps.logger.warn({ err, reembedded: done }, 're-embedding documents failed; retrying on the next run');
    }
    return done;
  }

  /**
   * The whole backlog now (the `rag.reembed` job): bounded batches one after another until none
   * is due, each under the same claim as the timer's runs (so they take turns, in this process and
   * across instances). Reports after every document; throws when the LLM is unavailable or fails
   * (the job's retry policy takes over) and when `signal` or stop() aborts it.
   */
  async runAll(signal: AbortSignal, report: (progress: BackfillProgress) => void): Promise<BackfillProgress> {
    const both = AbortSignal.any([signal, this.stopping.signal]);
    let reembedded = 0;
    for (;;) {
      both.throwIfAborted();
      if (!this.deps.embedder.available()) {
        throw new LlmUnavailableError('Re-embedding needs the LLM gateway, which is not available right now');
      }
      let { total: remaining } = await this.deps.store.listStaleEmbeddings(this.deps.embedder.targetModel(), 0);
      report({ reembedded, remaining });
      const outcome = await this.deps.store.exclusive(BACKFILL_JOB, () =>
        this.batch(both, () =>
          report({ reembedded: ++reembedded, remaining: (remaining = Math.max(0, remaining - 1)) }),
        ),
      );
      if (outcome === undefined) {
        // Another run (the timer's, or another instance's) holds the claim: wait for its turn.
        await sleep(CLAIM_RETRY_MS, undefined, { signal: both });
        continue;
      }
      // Nothing due, or nothing of what was due could be applied (replaced meanwhile, refused).
      if (outcome.due === 0 || outcome.done === 0) break;
    }
    const { total } = await this.deps.store.listStaleEmbeddings(this.deps.embedder.targetModel(), 0);
    return { reembedded, remaining: total };
  }

  /**
   * One bounded batch under the claim: the oldest due documents, each re-embedded and written if
   * unchanged; a document the LLM refuses is backed off and skipped. Other failures end the batch
   * (thrown). Searches of the tenants written are invalidated either way.
   */
  private async batch(signal: AbortSignal, onDocument: () => void): Promise<BatchOutcome> {
    const { embedder, cache, logger } = this.deps;
    const tenants = new Set<string>();
    let done = 0;
    const due = await this.due();
    try {
      for (const ref of due) {
        if (signal.aborted || !embedder.available()) break;
        try {
          if (await this.reembed(ref, signal)) {
            done++;
            tenants.add(ref.tenant);
            onDocument();
          }
        } catch (err) {
          if (signal.aborted || !(err instanceof FennecError && DOCUMENT_FAILURES.has(err.kind))) throw err;
          const failures = (this.refused.get(keyOf(ref))?.failures ?? 0) + 1;
          const delay = Math.min(MAX_BACKOFF_MS, Math.max(1_000, this.options.intervalMs) * 2 ** failures);
          this.refused.set(keyOf(ref), { updatedAt: ref.updatedAt, failures, retryAt: Date.now() + delay });
          logger.warn({ err, tenant: ref.tenant, id: ref.id, retryInMs: delay }, 'the LLM refused to embed a document');
        }
      }
    } finally {
      // Searches cached before these writes would miss the new vectors.
      for (const tenant of tenants) await cache.invalidate(tenant);
      if (done > 0) logger.log({ documents: done }, 're-embedded documents');
    }
    return { done, due: due.length };
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
    if (signal.aborted) return false;
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
