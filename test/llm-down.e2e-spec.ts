import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { forward, freePort } from './llm/tcp-forwarder';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);
const ADMIN = bearer(TEST_AUTH.admin);

describe('LLM gateway without Ollama (e2e)', () => {
  let app: NestExpressApplication;
  let port: number;
  let fake: FakeOllama;

  beforeAll(async () => {
    port = await freePort();
    fake = await FakeOllama.start();
    app = await createTestApp({ env: { OLLAMA_URLS: `http://127.0.0.1:${port}`, LLM_HEALTH_INTERVAL_MS: '500' } });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  const chat = () =>
    request(app.getHttpServer())
      .post('/v1/llm/chat')
      .set('authorization', AUTH)
      .send({ messages: [{ role: 'user', content: 'hi' }] });

  it('should boot and serve, with llm running but DOWN', async () => {
    const svc = await request(app.getHttpServer()).get('/services/llm').set('authorization', ADMIN);
    expect(svc.body).toMatchObject({
      state: 'RUNNING',
      health: { status: 'DOWN', reason: 'no Ollama instance reachable' },
    });
    expect(svc.body.health.details.instances[0]).toMatchObject({ up: false, error: 'ECONNREFUSED' });
    const ready = await request(app.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(200);
    // The whole tree is DEGRADED, not DOWN: llm and its upstream pool are optional.
    const tree = await request(app.getHttpServer()).get('/health').set('authorization', ADMIN);
    expect(tree.status).toBe(200);
    expect(tree.body).toMatchObject({ status: 'DEGRADED', indicators: { upstreams: { status: 'DOWN' } } });
  });

  it('should answer 503 UPSTREAM.UNAVAILABLE problems on every LLM surface', async () => {
    const res = await chat();
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({ code: 'UPSTREAM.UNAVAILABLE', status: 503 });
    expect(JSON.stringify(res.body)).not.toContain(String(port));
    const openai = await request(app.getHttpServer())
      .post('/v1/chat/completions')
      .set('authorization', AUTH)
      .send({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] });
    expect(openai.status).toBe(503);
    expect(openai.body.error).toMatchObject({ type: 'server_error', code: 'UPSTREAM.UNAVAILABLE' });
    const ollama = await request(app.getHttpServer()).get('/ollama/api/tags').set('authorization', AUTH);
    expect(ollama.status).toBe(503);
    expect(ollama.body).toEqual({
      error: expect.any(String),
      code: 'UPSTREAM.UNAVAILABLE',
      requestId: expect.any(String),
    });
  });

  it('should keep everything else working: summaries fall back to extractive', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/summaries')
      .set('authorization', AUTH)
      .send({ text: 'Foxes are small. They live in forests. They eat mice. Some live in cities.', maxSentences: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ method: 'extractive', fallbackReason: 'llm unavailable' });
  });

  it('should serve as soon as an Ollama appears, without a restart', async () => {
    const forwarder = await forward(port, fake.url);
    try {
      let res = await chat();
      for (let i = 0; i < 50 && res.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await chat();
      }
      expect(res.status).toBe(200);
      expect(res.body.message.content).toBe('This is a fake answer about hi.');
      const svc = await request(app.getHttpServer()).get('/services/llm').set('authorization', ADMIN);
      expect(svc.body.health.status).toBe('UP');
    } finally {
      await forwarder.close();
    }
  });

  it('should restart cleanly (a new pool and probe) and still run DOWN without Ollama', async () => {
    const restart = await request(app.getHttpServer()).post('/services/llm/restart').set('authorization', ADMIN);
    expect(restart.status).toBe(200);
    const svc = await request(app.getHttpServer()).get('/services/llm').set('authorization', ADMIN);
    expect(svc.body).toMatchObject({ state: 'RUNNING', health: { status: 'DOWN' } });
    expect((await chat()).status).toBe(503);
  });
});
