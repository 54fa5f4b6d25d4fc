import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { MemoryStateStore } from '../../platform/state';
import { type LlmClient, type LlmEmbedRequest, LlmPromptTooLargeError, LlmUnavailableError } from '../llm';
import { chunkDocument } from './chunking/markdown-chunker';
import { RagEmbedder } from './rag-embedder';
import { type EmbeddingBackfillOptions, RagEmbeddingBackfill } from './rag-embedding-backfill';
import { RagSearchCache } from './rag-search-cache';
import { EmbeddedDocumentStore } from './store/embedded-document-store';
import { PostgresDocumentStore } from './store/postgres-document-store';
import { eventually } from '../../../test/support/eventually';

const CHUNKING = { targetChars: 120, overlapChars: 0 };
const LONG = `# Long\n\n${'First paragraph of a long document. '.repeat(3)}\n\n${'Second paragraph here. '.repeat(4)}\n\n${'Third one closes it. '.repeat(4)}`;

/** The LLM outside the process, as RAG sees it: up or down, optionally failing or holding a call. */
class TestLlm implements LlmClient {
  available = true;
  readonly calls: LlmEmbedRequest[] = [];
  /** Throws this for a call whose input contains the key. */
  failOn = new Map<string, Error>();
  /** While set, embed calls wait for it. */
  gate?: Promise<void>;

  isAvailable(): boolean {
    return this.available;
  }
  chat(): never {
    throw new Error('not used');
  }
  async embed(request: LlmEmbedRequest) {
    this.calls.push(request);
    if (!this.available) throw new LlmUnavailableError();
    for (const [key, err] of this.failOn) if (request.input.some((t) => t.includes(key))) throw err;
    if (this.gate) {
      await Promise.race([
        this.gate,
        new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
      ]);
    }
    return { embeddings: request.input.map((t) => [1, t.length, 0, 0]), model: request.model ?? 'default-embed' };
  }
}

describe(RagEmbeddingBackfill.name, () => {
  let dir: string;
  let store: EmbeddedDocumentStore;
  let llm: TestLlm;
  let cache: RagSearchCache;
  let registry: Registry;
  let logger: Logger;
  let warn: jest.SpyInstance;
  let backfill: RagEmbeddingBackfill;
  let at = 0;

  const make = (options: Partial<EmbeddingBackfillOptions> = {}, model?: string) => {
    backfill = new RagEmbeddingBackfill(
      {
        store,
        embedder: new RagEmbedder(llm, { model, batch: 2 }),
        cache,
        logger,
        counter: new Counter({ name: 'reembedded_total', help: 'x', registers: [registry] }),
      },
      { intervalMs: 0, batchDocuments: 10, chunking: CHUNKING, ...options },
    );
    return backfill;
  };
  /** A document as upsert stores it while the LLM is down (or with `model`'s vectors). */
  const put = (tenant: string, id: string, text: string, model?: string) => {
    const updatedAt = new Date(Date.UTC(2026, 0, 1, 0, 0, ++at)).toISOString();
    const chunks = chunkDocument(text, CHUNKING).map((c) => ({ ...c, ...(model ? { embedding: [0, 1, 0, 0] } : {}) }));
    return store.upsert(
      tenant,
      {
        id,
        format: 'markdown',
        text,
        metadata: {},
        chunkCount: chunks.length,
        ...(model ? { embeddingModel: model } : {}),
        createdAt: updatedAt,
        updatedAt,
      },
      chunks,
    );
  };
  const vectorIds = async (tenant: string) =>
    [...new Set((await store.searchVector(tenant, [1, 0, 0, 0], { topK: 50 })).map((h) => h.documentId))].sort();
  const reembeddedMetric = async () => (await registry.getSingleMetric('reembedded_total')!.get()).values[0].value;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fennec-rag-backfill-'));
    store = new EmbeddedDocumentStore({ dir, fsync: false, snapshotEvery: 1000 });
    await store.open();
    llm = new TestLlm();
    cache = new RagSearchCache(new MemoryStateStore(), 60_000);
    registry = new Registry();
    logger = new Logger('rag-test');
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await backfill?.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should embed documents stored without vectors, in chunk batches, and invalidate those tenants’ caches', async () => {
    await put('acme', 'long', LONG);
    await put('acme', 'short', 'A short note.');
    await put('globex', 'other', 'Globex note.');
    const cached = await cache.get<string>('acme', { q: 'x' });
    await cache.set(cached.key, 'stale answer');
    make();
    expect(await backfill.runOnce()).toBe(3);
    expect(await vectorIds('acme')).toEqual(['long', 'short']);
    expect(await vectorIds('globex')).toEqual(['other']);
    const long = (await store.get('acme', 'long'))!;
    expect(long).toMatchObject({ embeddingModel: 'default-embed', chunkCount: chunkDocument(LONG, CHUNKING).length });
    expect(long.chunkCount).toBeGreaterThan(2);
    // Two chunks per request (RAG_EMBED_BATCH), the chunks exactly as upsert cut them.
    const n = long.chunkCount;
    const longBatches = Array.from({ length: Math.ceil(n / 2) }, (_, i) => Math.min(2, n - 2 * i));
    expect(llm.calls.map((c) => c.input.length)).toEqual([...longBatches, 1, 1]);
    expect(llm.calls.flatMap((c) => c.input).slice(0, n)).toEqual(chunkDocument(LONG, CHUNKING).map((c) => c.text));
    expect((await cache.get('acme', { q: 'x' })).value).toBeUndefined();
    expect(await reembeddedMetric()).toBe(3);
    expect(backfill.reembedded).toBe(3);
    expect((await store.listStaleEmbeddings('default-embed', 10)).total).toBe(0);
    expect(await backfill.runOnce()).toBe(0);
  });

  it('should bound a run to the batch, oldest first', async () => {
    for (const id of ['a', 'b', 'c']) await put('t', id, `Document ${id}.`);
    make({ batchDocuments: 2 });
    expect(await backfill.runOnce()).toBe(2);
    expect(await vectorIds('t')).toEqual(['a', 'b']);
    expect(await backfill.runOnce()).toBe(1);
    expect(await vectorIds('t')).toEqual(['a', 'b', 'c']);
  });

  it('should re-embed documents of another model than the configured one, once', async () => {
    await put('t', 'old-model', 'Embedded long ago.', 'old-embed');
    await put('t', 'current', 'Embedded with the current model.', 'nomic-embed-text');
    make({}, 'nomic-embed-text');
    expect(await backfill.runOnce()).toBe(1);
    expect((await store.get('t', 'old-model'))!.embeddingModel).toBe('nomic-embed-text');
    expect(llm.calls.map((c) => c.model)).toEqual(['nomic-embed-text']);
    expect(await backfill.runOnce()).toBe(0);
  });

  it('should learn the gateway’s default model from its answers and then re-embed other models', async () => {
    await put('t', 'old-model', 'Embedded long ago.', 'old-embed');
    await put('t', 'missing', 'Stored while the LLM was down.');
    make();
    // Not knowing the default yet, only documents without vectors are due.
    expect(await backfill.runOnce()).toBe(1);
    expect((await store.get('t', 'missing'))!.embeddingModel).toBe('default-embed');
    expect(await backfill.runOnce()).toBe(1);
    expect((await store.get('t', 'old-model'))!.embeddingModel).toBe('default-embed');
    expect(await backfill.runOnce()).toBe(0);
  });

  it('should never overwrite a document the user replaced while its embedding was in flight', async () => {
    await put('t', 'doc', 'Old text, stored while the LLM was down.');
    let release!: () => void;
    llm.gate = new Promise<void>((r) => (release = r));
    make();
    const run = backfill.runOnce();
    await eventually(() => llm.calls.length === 1);
    await put('t', 'doc', 'New text from the user.', 'user-model');
    release();
    expect(await run).toBe(0);
    expect(await store.get('t', 'doc')).toMatchObject({
      text: 'New text from the user.',
      embeddingModel: 'user-model',
    });
    expect((await store.searchVector('t', [0, 1, 0, 0], { topK: 5 }))[0].chunk.text).toBe('New text from the user.');
  });

  it('should do nothing while the LLM is down, and stop a run (with a warning) when it fails midway', async () => {
    for (const id of ['a', 'b', 'c']) await put('t', id, `Document ${id}.`);
    llm.available = false;
    make();
    expect(await backfill.runOnce()).toBe(0);
    expect(llm.calls).toEqual([]);

    llm.available = true;
    llm.failOn.set('Document b', new LlmUnavailableError());
    expect(await backfill.runOnce()).toBe(1);
    expect(llm.calls).toHaveLength(2); // c was not tried after the failure
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ err: expect.any(LlmUnavailableError), reembedded: 1 }),
      expect.stringContaining('retrying on the next run'),
    );
    llm.failOn.clear();
    expect(await backfill.runOnce()).toBe(2);
    expect(await vectorIds('t')).toEqual(['a', 'b', 'c']);
  });

  it('should skip a document the LLM refuses, go on with the others, and retry it only later', async () => {
    await put('t', 'poison', 'POISON text the model refuses.');
    await put('t', 'fine', 'A fine document.');
    llm.failOn.set('POISON', new LlmPromptTooLargeError('too long'));
    make();
    expect(await backfill.runOnce()).toBe(1);
    expect(await vectorIds('t')).toEqual(['fine']);
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ id: 'poison' }), 'the LLM refused to embed a document');
    const calls = llm.calls.length;
    expect(await backfill.runOnce()).toBe(0);
    expect(llm.calls).toHaveLength(calls);
    // A new version of it is tried at once.
    await put('t', 'poison', 'Now acceptable text.');
    expect(await backfill.runOnce()).toBe(1);
  });

  it('should run on its timer, report its state, and write nothing once stopped', async () => {
    await put('t', 'first', 'Embedded by the timer.');
    make({ intervalMs: 10 });
    expect(backfill.state()).toBe('idle');
    backfill.start();
    await eventually(async () => (await vectorIds('t')).length === 1);

    llm.gate = new Promise<void>(() => undefined); // the next embedding never answers by itself
    await put('t', 'second', 'Stored just before shutdown.');
    await eventually(() => llm.calls.length === 2);
    expect(backfill.state()).toBe('running');
    await backfill.stop(); // aborts the call in flight
    expect(await vectorIds('t')).toEqual(['first']);
    await new Promise((r) => setTimeout(r, 50));
    expect(llm.calls).toHaveLength(2);
    expect(warn).not.toHaveBeenCalled();
    expect(backfill.state()).toBe('idle');
    llm.available = false;
    expect(backfill.state()).toBe('waiting for llm');
  });

  it('should be disabled with interval 0 or without an LLM client', () => {
    expect(make({ intervalMs: 0 }).state()).toBe('disabled');
    const noLlm = new RagEmbeddingBackfill(
      {
        store,
        embedder: new RagEmbedder(undefined, { batch: 2 }),
        cache,
        logger,
        counter: new Counter({ name: 'other_total', help: 'x', registers: [registry] }),
      },
      { intervalMs: 10, batchDocuments: 1, chunking: CHUNKING },
    );
    expect(noLlm.state()).toBe('disabled');
  });
});

describe(`${RagEmbeddingBackfill.name} on one PostgreSQL database shared by two instances`, () => {
  const URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `rag_backfill_${process.pid}`;
  const stores: PostgresDocumentStore[] = [];
  const backfills: RagEmbeddingBackfill[] = [];

  afterAll(async () => {
    await Promise.all(backfills.map((b) => b.stop()));
    await Promise.all(stores.map((s) => s.close()));
    const client = new Client({ connectionString: URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('should embed a backlog once, not once per instance', async () => {
    const llm = new TestLlm();
    let release!: () => void;
    llm.gate = new Promise<void>((r) => (release = r));
    const logger = new Logger('rag-test');
    jest.spyOn(logger, 'log').mockImplementation(() => undefined);
    const debug = jest.spyOn(logger, 'debug').mockImplementation(() => undefined);
    const registry = new Registry();
    for (const i of [0, 1]) {
      const store = new PostgresDocumentStore({ connectionString: URL, schema, poolSize: 3 });
      await store.open();
      stores.push(store);
      backfills.push(
        new RagEmbeddingBackfill(
          {
            store,
            embedder: new RagEmbedder(llm, { batch: 8 }),
            cache: new RagSearchCache(new MemoryStateStore(), 60_000),
            logger,
            counter: new Counter({ name: `reembedded_${i}_total`, help: 'x', registers: [registry] }),
          },
          { intervalMs: 0, batchDocuments: 10, chunking: CHUNKING },
        ),
      );
    }
    for (const id of ['a', 'b', 'c']) {
      const text = `Document ${id}, stored while the LLM was down.`;
      const chunks = chunkDocument(text, CHUNKING);
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, id.charCodeAt(0))).toISOString();
      const doc = { id, format: 'markdown' as const, text, metadata: {}, chunkCount: chunks.length };
      await stores[0].upsert('t', { ...doc, createdAt: at, updatedAt: at }, chunks);
    }

    // Instance 0 claims the backlog and waits on the LLM; instance 1's run finds the job taken.
    const first = backfills[0].runOnce();
    await eventually(() => llm.calls.length === 1, { what: 'the first embedding call' });
    expect(await backfills[1].runOnce()).toBe(0);
    expect(debug).toHaveBeenCalledWith('another instance is re-embedding documents; skipped this run');
    release();
    expect(await first).toBe(3);
    expect(llm.calls).toHaveLength(3);
    expect((await stores[1].listStaleEmbeddings('default-embed', 10)).total).toBe(0);
    // The claim is free again: instance 1 runs (and finds nothing left to do).
    debug.mockClear();
    expect(await backfills[1].runOnce()).toBe(0);
    expect(debug).not.toHaveBeenCalled();
  });
});
