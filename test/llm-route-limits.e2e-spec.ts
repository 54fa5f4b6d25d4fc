import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

/**
 * The per-route LLM limits come from each app's own LLM_* config (resolved through DI), not from
 * values the last gateway constructed wrote into module state: two apps in one process, booted one
 * after the other with different limits, each enforce their own.
 */
describe('LLM route limits per app (e2e)', () => {
  let fake: FakeOllama;
  let strict: NestExpressApplication;
  let lenient: NestExpressApplication;

  beforeAll(async () => {
    fake = await FakeOllama.start();
    strict = await createTestApp({
      env: { OLLAMA_URLS: fake.url, LLM_CHAT_PER_MINUTE: '2', LLM_EMBED_PER_MINUTE: '1' },
    });
    // Booted second: with module-level limits this one's config would overwrite the first's.
    lenient = await createTestApp({
      env: { OLLAMA_URLS: fake.url, LLM_CHAT_PER_MINUTE: '10000', LLM_EMBED_PER_MINUTE: '10000' },
    });
  });
  afterAll(async () => {
    await lenient.close();
    await strict.close();
    await fake.close();
  });

  const chat = (app: NestExpressApplication, key: string) =>
    request(app.getHttpServer())
      .post('/v1/llm/chat')
      .set('authorization', key)
      .send({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream: false });
  const embed = (app: NestExpressApplication, key: string) =>
    request(app.getHttpServer())
      .post('/ollama/api/embed')
      .set('authorization', key)
      .send({ model: 'nomic-embed-text', input: 'hello' });

  it("should limit chat calls by the strict app's LLM_CHAT_PER_MINUTE though a lenient app booted after it", async () => {
    const key = bearer(TEST_AUTH.viewer);
    expect((await chat(strict, key)).status).toBe(200);
    expect((await chat(strict, key)).status).toBe(200);
    const limited = await chat(strict, key);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMIT.EXCEEDED');
  });

  it("should limit embedding calls by the strict app's LLM_EMBED_PER_MINUTE", async () => {
    const key = bearer(TEST_AUTH.viewer);
    expect((await embed(strict, key)).status).toBe(200);
    expect((await embed(strict, key)).status).toBe(429);
  });

  it("should let the lenient app serve past the strict app's limits", async () => {
    const key = bearer(TEST_AUTH.operator);
    for (let i = 0; i < 4; i++) expect((await chat(lenient, key)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await embed(lenient, key)).status).toBe(200);
  });
});
