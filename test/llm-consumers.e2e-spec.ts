import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { collectText, parseSse } from './llm/sse-body';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);
const WRITER = bearer(TEST_AUTH.operator);

const ARTICLE =
  'Solar power grew faster than any other source last year. Cheaper panels drove most of the growth. ' +
  'Wind power grew too, but more slowly. Coal use fell in Europe. Analysts expect the trend to continue.';

/** Summarization and RAG using the real gateway (no test LlmClient): only Ollama is faked. */
describe('Summarization and RAG through the LLM gateway (e2e)', () => {
  let fake: FakeOllama;
  let app: NestExpressApplication;
  let dataDir: string;

  beforeAll(async () => {
    fake = await FakeOllama.start({
      reply: (prompt) =>
        prompt.includes('Passages') || prompt.includes('[')
          ? 'Employees get 25 days [leave:0].'
          : 'Solar grew fastest.',
    });
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-llm-consumers-'));
    app = await createTestApp({
      env: { OLLAMA_URLS: fake.url, DATA_DIR: dataDir, LLM_HEALTH_INTERVAL_MS: '300000' },
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const post = (path: string, body: object, auth = AUTH) =>
    request(app.getHttpServer()).post(path).set('authorization', auth).send(body);

  it('should summarise abstractively in auto mode through the gateway', async () => {
    const res = await post('/v1/summaries', { text: ARTICLE, maxSentences: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ method: 'abstractive', model: 'llama3.2:3b', summary: 'Solar grew fastest.' });
    expect(fake.requests.filter((r) => r.path === '/api/chat')).toHaveLength(1);
  });

  it('should embed documents and queries through the gateway for vector and hybrid search', async () => {
    const doc = await post(
      '/v1/rag/documents',
      {
        id: 'leave',
        text: '# Leave\n\nEmployees get 25 days of paid leave per year.\n\n# Travel\n\nBook trains early.',
      },
      WRITER,
    );
    expect(doc.status).toBe(201);
    expect(fake.requests.some((r) => r.path === '/api/embed')).toBe(true);
    for (const mode of ['vector', 'hybrid']) {
      const res = await post('/v1/rag/search', { query: 'paid leave days', mode, topK: 1 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mode, modeUsed: mode });
      expect(res.body.results[0].documentId).toBe('leave');
    }
  });

  it('should stream a RAG answer generated through the gateway', async () => {
    const res = await post('/v1/rag/answer', { query: 'how many days of paid leave', topK: 1 })
      .buffer(true)
      .parse(collectText);
    expect(res.status).toBe(200);
    const events = parseSse(res.body as string);
    expect(events[0].event).toBe('passages');
    expect(
      events
        .filter((e) => e.event === 'token')
        .map((e) => e.data.text)
        .join(''),
    ).toBe('Employees get 25 days [leave:0].');
    expect(events.at(-1)).toMatchObject({ event: 'done', data: { model: 'llama3.2:3b' } });
    expect(fake.requests.filter((r) => r.path === '/api/chat').at(-1)!.body).toMatchObject({ stream: true });
  });
});
