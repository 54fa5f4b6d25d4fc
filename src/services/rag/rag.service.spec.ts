import { Logger } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsService } from '../../platform/metrics';
import { MemoryStateStore } from '../../platform/state';
import type { RagConfig } from './rag.config';
import { RagService } from './rag.service';
import { EmbeddedDocumentStore } from './store/embedded-document-store';

const CONFIG = {
  chunking: { targetChars: 120, overlapChars: 0 },
  maxDocumentChars: 100_000,
  searchCacheTtlMs: 0,
  embedBatch: 8,
  reembed: { intervalMs: 30_000, batchDocuments: 5 },
} as RagConfig;

describe(RagService.name, () => {
  let dir: string;
  let store: EmbeddedDocumentStore;
  let rag: RagService;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fennec-rag-service-'));
    store = new EmbeddedDocumentStore({ dir, fsync: false, snapshotEvery: 1000 });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    rag = new RagService(
      CONFIG,
      store,
      new MemoryStateStore(),
      new MetricsService({ prefix: 'fennec_', defaultProcessMetrics: false }),
    );
    await rag.start();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await rag.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('should give a replacement a strictly newer updatedAt, even within the same millisecond', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 5, 1));
    await rag.upsert('t', { id: 'a', text: 'First version.' });
    const first = await rag.get('t', 'a');
    await rag.upsert('t', { id: 'a', text: 'Second version.' });
    const second = await rag.get('t', 'a');
    expect(first.updatedAt).toBe('2026-06-01T00:00:00.000Z');
    expect(second.updatedAt).toBe('2026-06-01T00:00:00.001Z');
    expect(second.createdAt).toBe(first.createdAt);
  });

  it('should report documents awaiting embeddings and a disabled backfill without an LLM', async () => {
    await rag.upsert('t', { id: 'a', text: 'No LLM here.' });
    await rag.upsert('u', { id: 'b', text: 'Nor here.' });
    expect(await rag.checkHealth()).toEqual({
      status: 'UP',
      details: {
        store: 'embedded',
        documents: 2,
        chunks: 2,
        tenants: 2,
        vectorSearch: 'unavailable',
        awaitingEmbeddings: 2,
        reembedding: 'disabled',
        reembedded: 0,
      },
    });
  });
});
