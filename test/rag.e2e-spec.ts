import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { withLlmClient } from './fixtures/llm/fake-llm.module';
import { OllamaLlmClient } from './fixtures/llm/ollama-llm-client';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_KEYS } from './support/test-credentials';

const ACME = bearer(TEST_KEYS.acme.viewer);
const GLOBEX = bearer(TEST_KEYS.globex.viewer);
const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

const HANDBOOK = `# Handbook

## Leave

Employees get 25 days of paid leave per year. Unused leave carries over until March.

## Expenses

Travel expenses are reimbursed within 30 days. Keep every receipt.`;

/** Collects an SSE body and splits it into events. */
const sseText = (res: request.Response, done: (err: Error | null, body: string) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  stream.on('end', () => done(null, text));
};
const parseSse = (text: string) =>
  text
    .split('\n\n')
    .filter((f) => f.includes('event: '))
    .map((frame) => {
      const field = (name: string) => [...frame.matchAll(new RegExp(`^${name}: (.*)$`, 'gm'))][0]?.[1];
      return { event: field('event'), data: JSON.parse(field('data') ?? 'null') as Record<string, unknown> };
    });
const answer = (app: NestExpressApplication, body: object, auth = ACME) =>
  request(app.getHttpServer()).post('/v1/rag/answer').set('authorization', auth).send(body).buffer(true).parse(sseText);

const http = (app: NestExpressApplication, auth = ACME) => {
  const agent = request(app.getHttpServer());
  return {
    post: (path: string, body: object) => agent.post(path).set('authorization', auth).send(body),
    get: (path: string) => agent.get(path).set('authorization', auth),
    delete: (path: string) => agent.delete(path).set('authorization', auth),
  };
};

describe('RAG (e2e)', () => {
  describe('embedded store, no LLM', () => {
    let app: NestExpressApplication;
    let dataDir: string;
    const boot = () =>
      createTestApp({ env: { DATA_DIR: dataDir, RAG_CHUNK_TARGET_CHARS: '120', RAG_CHUNK_OVERLAP_CHARS: '0' } });

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'fennec-rag-e2e-'));
      app = await boot();
    });
    afterAll(async () => {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('should store a document, chunked by headings, and replace it on the same id', async () => {
      const created = await http(app).post('/v1/rag/documents', {
        id: 'handbook',
        title: 'Handbook',
        text: HANDBOOK,
        metadata: { team: 'hr' },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: 'handbook', created: true, chunks: 3, embedded: false });
      const replaced = await http(app).post('/v1/rag/documents', {
        id: 'handbook',
        title: 'Handbook',
        text: HANDBOOK,
        metadata: { team: 'hr' },
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body.created).toBe(false);
      const got = await http(app).get('/v1/rag/documents/handbook');
      expect(got.body).toMatchObject({
        id: 'handbook',
        text: HANDBOOK,
        chunkCount: 3,
        metadata: { team: 'hr' },
        format: 'markdown',
      });
    });

    it('should assign an id when none is given and list newest first', async () => {
      const res = await http(app).post('/v1/rag/documents', { text: 'A note about parking: use level 2.' });
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      const list = await http(app).get('/v1/rag/documents?limit=1');
      expect(list.body).toMatchObject({ total: 2, offset: 0, limit: 1, items: [{ id: res.body.id }] });
      expect(list.body.items[0]).not.toHaveProperty('text');
    });

    it('should search lexically with chunk text, offsets, heading path and metadata', async () => {
      const res = await http(app).post('/v1/rag/search', { query: 'paid leave days', mode: 'lexical', topK: 2 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mode: 'lexical', modeUsed: 'lexical', cached: false });
      const [top] = res.body.results;
      expect(top).toMatchObject({
        documentId: 'handbook',
        headingPath: ['Handbook', 'Leave'],
        metadata: { team: 'hr' },
        title: 'Handbook',
      });
      expect(HANDBOOK.slice(top.start, top.end)).toBe(top.text);
    });

    it('should fall back to lexical for vector and hybrid and say so', async () => {
      const res = await http(app).post('/v1/rag/search', { query: 'receipts for travel', mode: 'hybrid' });
      expect(res.body).toMatchObject({
        mode: 'hybrid',
        modeUsed: 'lexical',
        fallbackReason: expect.stringMatching(/^llm (not configured|unavailable)$/),
      });
      expect(res.body.results[0].headingPath).toEqual(['Handbook', 'Expenses']);
    });

    it('should answer a repeated search from the cache until a write invalidates it', async () => {
      const query = { query: 'parking level', mode: 'lexical' };
      expect((await http(app).post('/v1/rag/search', query)).body.cached).toBe(false);
      const again = await http(app).post('/v1/rag/search', query);
      expect(again.body.cached).toBe(true);
      expect(again.body.results).toHaveLength(1);
      await http(app).post('/v1/rag/documents', { id: 'parking-2', text: 'Visitors park on level 3.' });
      const fresh = await http(app).post('/v1/rag/search', query);
      expect(fresh.body.cached).toBe(false);
      expect(fresh.body.results).toHaveLength(2);
    });

    it('should filter search results by metadata', async () => {
      const res = await http(app).post('/v1/rag/search', {
        query: 'level leave',
        mode: 'lexical',
        filter: { team: 'hr' },
      });
      expect(res.body.results.every((r: { documentId: string }) => r.documentId === 'handbook')).toBe(true);
    });

    it('should keep tenants apart: listing, reading, searching and deleting', async () => {
      const other = http(app, GLOBEX);
      expect((await other.get('/v1/rag/documents')).body.total).toBe(0);
      expect((await other.get('/v1/rag/documents/handbook')).status).toBe(404);
      expect((await other.post('/v1/rag/search', { query: 'paid leave', mode: 'lexical' })).body.results).toEqual([]);
      expect((await other.delete('/v1/rag/documents/handbook')).status).toBe(404);
      await other.post('/v1/rag/documents', { id: 'handbook', text: 'Globex handbook: no leave at all.' });
      expect((await http(app).get('/v1/rag/documents/handbook')).body.text).toBe(HANDBOOK);
      expect((await other.get('/v1/rag/documents/handbook')).body.text).toBe('Globex handbook: no leave at all.');
    });

    it('should delete a document and answer 404 afterwards', async () => {
      expect((await http(app).delete('/v1/rag/documents/parking-2')).status).toBe(204);
      const gone = await http(app).get('/v1/rag/documents/parking-2');
      expect(gone.status).toBe(404);
      expect(gone.body.code).toBe('RAG.DOCUMENT_NOT_FOUND');
      expect((await http(app).delete('/v1/rag/documents/parking-2')).status).toBe(404);
    });

    it.each([
      ['empty text', '/v1/rag/documents', { text: '' }, 'text'],
      ['bad id', '/v1/rag/documents', { id: 'has space', text: 'x' }, 'id'],
      ['bad metadata', '/v1/rag/documents', { text: 'x', metadata: { nested: { a: 1 } } }, 'metadata'],
      ['bad format', '/v1/rag/documents', { text: 'x', format: 'pdf' }, 'format'],
      ['empty query', '/v1/rag/search', { query: ' ' }, 'query'],
      ['topK 0', '/v1/rag/search', { query: 'x', topK: 0 }, 'topK'],
      ['topK 51', '/v1/rag/search', { query: 'x', topK: 51 }, 'topK'],
      ['bad mode', '/v1/rag/search', { query: 'x', mode: 'semantic' }, 'mode'],
    ])('should reject %s with a 400 naming the field', async (_name, path, body, field) => {
      const res = await http(app).post(path, body);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('should reject bad paging and ids in the path', async () => {
      expect((await http(app).get('/v1/rag/documents?limit=1000')).status).toBe(400);
      expect((await http(app).get('/v1/rag/documents?offset=-1')).status).toBe(400);
      expect((await http(app).get('/v1/rag/documents/%20bad')).status).toBe(400);
    });

    it('should answer 503 LLM.UNAVAILABLE for /answer while search keeps working', async () => {
      const res = await http(app).post('/v1/rag/answer', { query: 'paid leave' });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('LLM.UNAVAILABLE');
      expect((await http(app).post('/v1/rag/search', { query: 'paid leave' })).status).toBe(200);
    });

    it('should answer a huge document with 413', async () => {
      const huge = await request(app.getHttpServer())
        .post('/v1/rag/documents')
        .set('authorization', ACME)
        .send({ text: 'word '.repeat(300_000) });
      expect(huge.status).toBe(413);
    });

    it('should still have every acknowledged document after a restart', async () => {
      await app.close();
      app = await boot();
      expect((await http(app).get('/v1/rag/documents/handbook')).body.text).toBe(HANDBOOK);
      expect((await http(app, GLOBEX).get('/v1/rag/documents/handbook')).body.text).toBe(
        'Globex handbook: no leave at all.',
      );
      expect((await http(app).get('/v1/rag/documents/parking-2')).status).toBe(404);
      const res = await http(app).post('/v1/rag/search', { query: 'reimbursed receipts', mode: 'lexical' });
      expect(res.body.results[0].documentId).toBe('handbook');
    });
  });

  describe('PostgreSQL store with an LLM on a fake Ollama', () => {
    const schema = `rag_e2e_${process.pid}`;
    let app: NestExpressApplication;
    let second: NestExpressApplication;
    let fake: FakeOllama;
    let llm: OllamaLlmClient;

    beforeAll(async () => {
      fake = await FakeOllama.start();
      llm = new OllamaLlmClient(fake.url);
      const env = {
        DATABASE_URL: PG_URL,
        RAG_DATABASE_SCHEMA: schema,
        RAG_CHUNK_TARGET_CHARS: '120',
        RAG_CHUNK_OVERLAP_CHARS: '0',
      };
      app = await createTestApp({ env, ...withLlmClient(llm) });
      second = await createTestApp({ env });
    });
    afterEach(() => {
      llm.available = true;
    });
    afterAll(async () => {
      await app.close();
      await second.close();
      await fake.close();
      const client = new Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });

    it('should embed chunks on write and search by vector and hybrid', async () => {
      const res = await http(app).post('/v1/rag/documents', { id: 'handbook', text: HANDBOOK });
      expect(res.body).toEqual({ id: 'handbook', created: true, chunks: 3, embedded: true });
      expect(llm.calls.filter((c) => c.kind === 'embed')).toHaveLength(1);
      const vector = await http(app).post('/v1/rag/search', {
        query: 'travel expenses reimbursed',
        mode: 'vector',
        topK: 1,
      });
      expect(vector.body).toMatchObject({ modeUsed: 'vector', results: [{ headingPath: ['Handbook', 'Expenses'] }] });
      const hybrid = await http(app).post('/v1/rag/search', { query: 'paid leave', mode: 'hybrid', topK: 3 });
      expect(hybrid.body.modeUsed).toBe('hybrid');
      expect(hybrid.body.results[0].headingPath).toEqual(['Handbook', 'Leave']);
    });

    it('should store without vectors while the LLM is down and say so', async () => {
      llm.available = false;
      const res = await http(app).post('/v1/rag/documents', { id: 'note', text: 'A short note.' });
      expect(res.body.embedded).toBe(false);
      const search = await http(app).post('/v1/rag/search', { query: 'short note', mode: 'vector' });
      expect(search.body).toMatchObject({ modeUsed: 'lexical', fallbackReason: 'llm unavailable' });
    });

    it('should stream an answer citing the retrieved passages', async () => {
      fake.set({
        reply: (prompt) => `Employees get 25 days [${/\[([^\]\s]+:\d+)\]/.exec(prompt)?.[1]}] and more [made:9].`,
      });
      const res = await answer(app, { query: 'how many days of paid leave', mode: 'lexical', topK: 2 });
      expect(res.status).toBe(200);
      const events = parseSse(res.body as string);
      expect(events[0].event).toBe('passages');
      const passages = events[0].data.passages as { documentId: string; chunkIndex: number }[];
      expect(passages[0]).toMatchObject({ documentId: 'handbook', chunkIndex: 1 });
      const tokens = events
        .filter((e) => e.event === 'token')
        .map((e) => e.data.text)
        .join('');
      expect(tokens).toBe('Employees get 25 days [handbook:1] and more [made:9].');
      expect(events.at(-1)).toEqual({
        event: 'done',
        data: {
          reason: 'answered',
          citations: ['handbook:1'],
          model: 'llama3.2:3b',
          promptTokens: expect.any(Number),
          completionTokens: 8,
        },
      });
      const chat = fake.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as {
        messages: { content: string }[];
        stream: boolean;
      };
      expect(chat.stream).toBe(true);
      expect(chat.messages[1].content).toContain('[handbook:1]\n## Leave');
    });

    it("should answer from the caller's tenant only", async () => {
      const res = await answer(app, { query: 'paid leave', mode: 'lexical' }, GLOBEX);
      const events = parseSse(res.body as string);
      expect(events[0].data).toEqual({ passages: [] });
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { reason: 'no_passages', citations: [] } });
    });

    it('should share one corpus between instances', async () => {
      expect((await http(second).get('/v1/rag/documents/handbook')).status).toBe(200);
      await http(second).delete('/v1/rag/documents/note');
      expect((await http(app).get('/v1/rag/documents/note')).status).toBe(404);
    });
  });
});
