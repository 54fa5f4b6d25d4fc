import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { forward, freePort } from './llm/tcp-forwarder';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { bearer, TEST_AUTH } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);
const ADMIN = bearer(TEST_AUTH.admin);

const HANDBOOK = `# Handbook

## Leave

Employees get 25 days of paid leave per year. Unused leave carries over until March.

## Expenses

Travel expenses are reimbursed within 30 days. Keep every receipt.`;

/**
 * Documents stored while the LLM gateway has no Ollama get their vectors from the background
 * backfill once one appears, with no write from the client (real gateway, fake Ollama behind a
 * port that starts closed).
 */
describe('RAG re-embedding backfill (e2e)', () => {
  let app: NestExpressApplication;
  let port: number;
  let fake: FakeOllama;
  let forwarder: { close(): Promise<void> } | undefined;
  let dataDir: string;

  const boot = (reembedIntervalMs: string) =>
    createTestApp({
      env: {
        OLLAMA_URLS: `http://127.0.0.1:${port}`,
        LLM_HEALTH_INTERVAL_MS: '500',
        DATA_DIR: dataDir,
        RAG_CHUNK_TARGET_CHARS: '120',
        RAG_CHUNK_OVERLAP_CHARS: '0',
        RAG_REEMBED_INTERVAL_MS: reembedIntervalMs,
      },
    });
  const post = (path: string, body: object) =>
    request(app.getHttpServer()).post(path).set('authorization', AUTH).send(body);
  const get = (path: string, auth = AUTH) => request(app.getHttpServer()).get(path).set('authorization', auth);
  const ragHealth = async () =>
    (await get('/services/rag', ADMIN)).body.health as { status: string; details: Record<string, unknown> };
  /** Chunk texts of the handbook the fake Ollama was asked to embed (query embeddings excluded). */
  const embeddedChunkInputs = () =>
    fake.requests
      .filter((r) => r.path === '/api/embed')
      .flatMap((r) => (r.body as { input: string[] }).input)
      .filter((input) => input.startsWith('#'));

  beforeAll(async () => {
    port = await freePort();
    fake = await FakeOllama.start();
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-rag-reembed-'));
    app = await boot('100');
  });
  afterAll(async () => {
    await app.close();
    await forwarder?.close();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should store a document for lexical search only while Ollama is down', async () => {
    const res = await post('/v1/rag/documents', { id: 'handbook', title: 'Handbook', text: HANDBOOK });
    expect(res.body).toEqual({ id: 'handbook', created: true, chunks: 3, embedded: false });
    expect((await get('/v1/rag/documents/handbook')).body).not.toHaveProperty('embeddingModel');
    const search = await post('/v1/rag/search', { query: 'travel expenses reimbursed', mode: 'vector' });
    expect(search.body).toMatchObject({ modeUsed: 'lexical', fallbackReason: 'llm unavailable' });
    expect(await ragHealth()).toMatchObject({
      status: 'UP',
      details: { awaitingEmbeddings: 1, reembedding: 'waiting for llm', reembedded: 0 },
    });
    await new Promise((r) => setTimeout(r, 300)); // a few backfill ticks pass: nothing to do without the LLM
    expect(fake.requests).toEqual([]);
  });

  it('should embed it in the background once Ollama appears, so vector search finds it', async () => {
    forwarder = await forward(port, fake.url);
    // Only reads from here on; the first vector searches may run (and be cached) before the backfill.
    let res = await post('/v1/rag/search', { query: 'travel expenses reimbursed', mode: 'vector', topK: 1 });
    for (let i = 0; i < 80 && !(res.body.modeUsed === 'vector' && res.body.results.length > 0); i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await post('/v1/rag/search', { query: 'travel expenses reimbursed', mode: 'vector', topK: 1 });
    }
    expect(res.body).toMatchObject({
      modeUsed: 'vector',
      results: [{ documentId: 'handbook', headingPath: ['Handbook', 'Expenses'], title: 'Handbook' }],
    });
    expect(embeddedChunkInputs()).toEqual([
      expect.stringMatching(/^# Handbook/),
      expect.stringMatching(/^## Leave/),
      expect.stringMatching(/^## Expenses/),
    ]);
    const doc = await get('/v1/rag/documents/handbook');
    expect(doc.body).toMatchObject({ chunkCount: 3, embeddingModel: expect.any(String), text: HANDBOOK });
    const hybrid = await post('/v1/rag/search', { query: 'paid leave per year', mode: 'hybrid', topK: 1 });
    expect(hybrid.body).toMatchObject({ modeUsed: 'hybrid', results: [{ headingPath: ['Handbook', 'Leave'] }] });
    expect(await ragHealth()).toMatchObject({
      details: { awaitingEmbeddings: 0, reembedded: 1, reembedding: expect.stringMatching(/^(idle|running)$/) },
    });
    const metrics = await get('/metrics', ADMIN);
    expect(metrics.text).toMatch(/^fennec_rag_reembedded_documents_total 1$/m);
  }, 15_000);

  it('should keep the vectors across a restart without embedding the document again', async () => {
    await app.close();
    const before = embeddedChunkInputs().length;
    app = await boot('0');
    const res = await post('/v1/rag/search', { query: 'travel expenses reimbursed', mode: 'vector', topK: 1 });
    expect(res.body).toMatchObject({ modeUsed: 'vector', results: [{ headingPath: ['Handbook', 'Expenses'] }] });
    expect(embeddedChunkInputs()).toHaveLength(before);
    expect(await ragHealth()).toMatchObject({ details: { awaitingEmbeddings: 0, reembedding: 'disabled' } });
  });
});

/**
 * `POST /v1/rag/reembed`: the backlog re-embedded now, as a platform job (the timer is off here,
 * so only the job writes vectors): progress per document over SSE, cancel mid-run, the result.
 */
describe('RAG re-embedding as a job (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeOllama;
  let dataDir: string;
  let base: string;
  const post = (path: string, body: object, auth = ADMIN) =>
    request(app.getHttpServer()).post(path).set('authorization', auth).send(body);
  const awaiting = async () =>
    (
      (await request(app.getHttpServer()).get('/services/rag').set('authorization', ADMIN)).body.health as {
        details: { awaitingEmbeddings: number };
      }
    ).details.awaitingEmbeddings;
  const embedCalls = () => fake.requests.filter((r) => r.path === '/api/embed').length;
  /** Stores `n` documents while embedding fails, so they wait for vectors. */
  const storeUnembedded = async (prefix: string, n: number) => {
    fake.set({ failWithStatus: 500, failPaths: ['/api/embed'] });
    for (let i = 0; i < n; i++) {
      const res = await post(
        '/v1/rag/documents',
        { id: `${prefix}-${i}`, text: `${HANDBOOK}\n\nCopy ${prefix} ${i}.` },
        AUTH,
      );
      expect(res.body).toMatchObject({ embedded: false });
    }
    fake.set({ failWithStatus: undefined, failPaths: undefined });
    // Those failures may have opened the pool's breaker: wait for its probe to let calls through
    // again, or the job's attempts would all meet "no instance available".
    await eventually(
      async () => {
        const res = await request(app.getHttpServer()).get('/upstreams').set('authorization', ADMIN);
        const pool = (res.body.pools as { name: string; up: number; total: number }[]).find((p) => p.name === 'ollama');
        return pool !== undefined && pool.up === pool.total;
      },
      { timeoutMs: 20_000, what: 'the ollama pool up again' },
    );
  };
  const follow = (id: string) =>
    new SseTestClient(`${base}/jobs/${id}/events`, ['state', 'progress'], { authorization: ADMIN });

  beforeAll(async () => {
    fake = await FakeOllama.start();
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-rag-reembed-job-'));
    app = await createTestApp({
      env: {
        OLLAMA_URLS: fake.url,
        LLM_HEALTH_INTERVAL_MS: '500',
        DATA_DIR: dataDir,
        RAG_CHUNK_TARGET_CHARS: '120',
        RAG_CHUNK_OVERLAP_CHARS: '0',
        RAG_REEMBED_INTERVAL_MS: '0',
        RAG_REEMBED_BATCH_DOCUMENTS: '2',
      },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    await eventually(async () => (await request(app.getHttpServer()).get('/health/ready')).status === 200, {
      timeoutMs: 20_000,
      what: 'app ready',
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should re-embed the whole backlog as a job, with progress per document over SSE', async () => {
    await storeUnembedded('all', 3);
    expect(await awaiting()).toBe(3);
    const submitted = await post('/v1/rag/reembed', {});
    expect(submitted.status).toBe(202);
    expect(submitted.headers.location).toBe(`/jobs/${submitted.body.id}`);
    expect(submitted.body).toMatchObject({ kind: 'rag.reembed' });
    const sse = follow(submitted.body.id as string);
    await sse.ended();
    // Three documents in batches of two: every document is reported, the total known up front.
    const progress = sse.of('progress').map((e) => e.data as { value: number; max: number; stage: string });
    expect(progress.map((p) => p.value).filter((v, i, all) => all.indexOf(v) === i)).toEqual([0, 1, 2, 3]);
    expect(progress.every((p) => p.max === 3 && p.stage === 'embedding')).toBe(true);
    expect(sse.of('done')[0].data).toEqual({ state: 'succeeded', result: { reembedded: 3, remaining: 0 } });
    expect(await awaiting()).toBe(0);
    const search = await post('/v1/rag/search', { query: 'travel expenses reimbursed', mode: 'vector', topK: 1 }, AUTH);
    expect(search.body).toMatchObject({ modeUsed: 'vector', results: [{ headingPath: ['Handbook', 'Expenses'] }] });
  });

  it('should stop a re-embedding job cancelled mid-run and leave the rest for later', async () => {
    await storeUnembedded('cancel', 6);
    fake.set({ firstByteDelayMs: 300 });
    const before = embedCalls();
    const submitted = await post('/v1/rag/reembed', {});
    const sse = follow(submitted.body.id as string);
    await sse.until(() => sse.of('progress').some((e) => (e.data as { value: number }).value >= 1), 20_000);
    const cancel = await fetch(`${base}/jobs/${submitted.body.id}`, {
      method: 'DELETE',
      headers: { authorization: ADMIN },
    });
    expect(cancel.status).toBe(202);
    await sse.ended();
    fake.set({ firstByteDelayMs: 0 });
    expect(sse.of('error')[0].data).toMatchObject({ code: 'JOBS.CANCELLED' });
    const left = await awaiting();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(6);
    expect(embedCalls() - before).toBeLessThan(6);
  });

  it('should be for admins only', async () => {
    const res = await post('/v1/rag/reembed', {}, AUTH);
    expect(res.status).toBe(403);
  });
});
