import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ARTICLE } from '../src/services/summarization/text/fixtures.testing';
import { FakeOllama } from './fixtures/fake-ollama';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);

/** Summarization and RAG through the real LLM gateway (no test client), on a fake Ollama. */
describe('Services on the real LLM gateway (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeOllama;
  let dataDir: string;

  beforeAll(async () => {
    fake = await FakeOllama.start();
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-services-llm-'));
    app = await createTestApp({
      env: { OLLAMA_URLS: fake.url, DATA_DIR: dataDir, RAG_CHUNK_TARGET_CHARS: '120', RAG_CHUNK_OVERLAP_CHARS: '0' },
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const post = (path: string, body: object) =>
    request(app.getHttpServer()).post(path).set('authorization', AUTH).send(body);

  it('should summarise abstractively in auto mode through the gateway', async () => {
    fake.set({ reply: () => 'Solar grew fastest on cheaper panels.' });
    const res = await post('/v1/summaries', { text: ARTICLE, maxSentences: 1 });
    expect(res.body).toMatchObject({
      method: 'abstractive',
      model: 'llama3.2:3b',
      summary: 'Solar grew fastest on cheaper panels.',
    });
  });

  it('should embed documents through the gateway and answer with citations over SSE', async () => {
    const doc = await post('/v1/rag/documents', {
      id: 'handbook',
      text: '# Handbook\n\n## Leave\n\nEmployees get 25 days of paid leave per year.',
    });
    expect(doc.body).toMatchObject({ created: true, embedded: true });
    expect(fake.requests.some((r) => r.path === '/api/embed')).toBe(true);
    const hybrid = await post('/v1/rag/search', { query: 'paid leave', mode: 'hybrid' });
    expect(hybrid.body.modeUsed).toBe('hybrid');
    expect(hybrid.body.results[0]).toMatchObject({ documentId: 'handbook', headingPath: ['Handbook', 'Leave'] });

    fake.set({ reply: (prompt) => `25 days [${/\[([^\]\s]+:\d+)\]/.exec(prompt)?.[1]}].` });
    const res = await request(app.getHttpServer())
      .post('/v1/rag/answer')
      .set('authorization', AUTH)
      .send({ query: 'how much paid leave', mode: 'lexical' })
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        (r as unknown as NodeJS.ReadableStream).on('data', (c: Buffer) => (text += c.toString('utf8')));
        (r as unknown as NodeJS.ReadableStream).on('end', () => done(null, text));
      });
    const body = res.body as string;
    expect(body).toContain('event: passages');
    expect(body).toContain('event: token');
    expect(body).toMatch(/event: done\ndata: \{"reason":"answered","citations":\["handbook:1"\]/);
  });
});
