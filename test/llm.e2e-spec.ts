import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { collectText, parseSse } from './llm/sse-body';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';
import { eventually } from './support/eventually';

const PROBLEM = /^application\/problem\+json/;
const AUTH = bearer(TEST_AUTH.viewer);
const ADMIN = bearer(TEST_AUTH.admin);

describe('LLM gateway (e2e)', () => {
  let fake: FakeOllama;
  let app: NestExpressApplication;

  beforeAll(async () => {
    fake = await FakeOllama.start();
    app = await createTestApp({
      env: {
        OLLAMA_URLS: `${fake.url}|2`,
        // Probed at start only: the knobs below (hangs) must not flip the gateway DOWN mid-test.
        LLM_HEALTH_INTERVAL_MS: '300000',
        LLM_FIRST_BYTE_TIMEOUT_MS: '500',
        LLM_CHAT_PER_MINUTE: '10000',
        LLM_STREAMS_PER_MINUTE: '10000',
        LLM_MAX_MESSAGES: '5',
        LLM_MAX_PROMPT_CHARS: '2000',
      },
    });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  const post = (path: string, body: object) =>
    request(app.getHttpServer()).post(path).set('authorization', AUTH).send(body);
  const user = (content: string) => [{ role: 'user', content }];

  it('should report llm UP with the probed instance', async () => {
    const res = await request(app.getHttpServer()).get('/services/llm').set('authorization', ADMIN);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'RUNNING', health: { status: 'UP' } });
    expect(res.body.health.details.instances[0]).toMatchObject({ up: true, version: '0.12.6', models: 3 });
  });

  it('should list the models', async () => {
    const res = await request(app.getHttpServer()).get('/v1/llm/models').set('authorization', AUTH);
    expect(res.status).toBe(200);
    expect(res.body.models.map((m: { name: string }) => m.name)).toEqual([
      'llama3.2:3b',
      'nomic-embed-text:latest',
      'llava:7b',
    ]);
    expect(res.body.models[0]).toMatchObject({ family: 'llama', quantization: 'Q4_K_M' });
  });

  it('should answer a chat as JSON with counts and durations', async () => {
    const res = await post('/v1/llm/chat', { model: 'llama3.2:3b', messages: user('Tell me about foxes') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      model: 'llama3.2:3b',
      message: { role: 'assistant', content: 'This is a fake answer about tell me about foxes.' },
      doneReason: 'stop',
      completionTokens: 10,
    });
    expect(res.body.totalDurationMs).toBeGreaterThan(0);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/api/chat', body: { stream: false } });
  });

  it('should stream a chat as SSE token events, then done with the final chunk stats', async () => {
    const res = await post('/v1/llm/chat', { messages: user('a b c'), stream: true, options: { temperature: 0 } })
      .buffer(true)
      .parse(collectText);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(res.body as string);
    const tokens = events.filter((e) => e.event === 'token');
    expect(tokens.map((t) => t.data.text).join('')).toBe('This is a fake answer about a b c.');
    expect(events.at(-1)).toMatchObject({
      event: 'done',
      data: { model: 'llama3.2:3b', doneReason: 'stop', completionTokens: tokens.length, promptTokens: 13 },
    });
    expect(events.at(-1)!.data.evalDurationMs).toBeGreaterThan(0);
    expect(fake.requests.at(-1)).toMatchObject({ body: { options: { temperature: 0 }, stream: true } });
  });

  it('should stream when the client accepts text/event-stream', async () => {
    const res = await post('/v1/llm/generate', { prompt: 'why is the sky blue' })
      .set('accept', 'text/event-stream')
      .buffer(true)
      .parse(collectText);
    const events = parseSse(res.body as string);
    expect(events.filter((e) => e.event === 'token').length).toBeGreaterThan(3);
    expect(events.at(-1)?.event).toBe('done');
  });

  it('should pass base64 images to a vision model', async () => {
    // The fake decodes the image as Ollama does and describes its pixels.
    const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#2848c8' } })
      .png()
      .toBuffer();
    const image = png.toString('base64');
    const res = await post('/v1/llm/generate', { model: 'llava:7b', prompt: 'What is this?', images: [image] });
    expect(res.status).toBe(200);
    expect(res.body.response).toMatch(/^A .* picture, 8 by 6 pixels, dominated by blue tones/);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/api/generate', body: { images: [image], model: 'llava:7b' } });
    const bad = await post('/v1/llm/generate', { model: 'llava:7b', prompt: 'x', images: ['not base64!'] });
    expect(bad.status).toBe(400);
  });

  it('should embed a batch through /api/embed', async () => {
    const res = await post('/v1/llm/embeddings', { input: ['red fox', 'blue whale'], dimensions: 64 });
    expect(res.status).toBe(200);
    expect(res.body.model).toBe('nomic-embed-text:latest');
    expect(res.body.embeddings).toHaveLength(2);
    expect(res.body.embeddings[0]).toHaveLength(64);
    expect(fake.requests.at(-1)).toMatchObject({ path: '/api/embed', body: { input: ['red fox', 'blue whale'] } });
  });

  it("should map Ollama's 404 to LLM.MODEL_NOT_FOUND and its 400 to LLM.REQUEST_REJECTED", async () => {
    const missing = await post('/v1/llm/chat', { model: 'nope:1b', messages: user('hi') });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(PROBLEM);
    expect(missing.body).toMatchObject({ code: 'LLM.MODEL_NOT_FOUND', detail: expect.stringContaining('nope:1b') });
    const refused = await post('/v1/llm/chat', { model: 'nomic-embed-text', messages: user('hi') });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('LLM.REQUEST_REJECTED');
  });

  it('should refuse bad model names, too many messages and oversized prompts before calling Ollama', async () => {
    const before = fake.requests.length;
    const badName = await post('/v1/llm/chat', { model: 'llama 3:latest', messages: user('hi') });
    expect(badName.status).toBe(400);
    expect(badName.body).toMatchObject({ code: 'VALIDATION.FAILED', errors: [{ field: 'model' }] });
    const traversal = await post('/v1/llm/chat', { model: '../../etc/passwd', messages: user('hi') });
    expect(traversal.status).toBe(400);
    const many = await post('/v1/llm/chat', { messages: Array.from({ length: 6 }, () => user('hi')[0]) });
    expect(many.status).toBe(400);
    expect(many.body.errors[0].field).toBe('messages');
    const huge = await post('/v1/llm/generate', { prompt: 'x'.repeat(2001) });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('LLM.PROMPT_TOO_LARGE');
    const role = await post('/v1/llm/chat', { messages: [{ role: 'wizard', content: 'hi' }] });
    expect(role.status).toBe(400);
    expect(fake.requests.length).toBe(before);
  });

  it('should let prompts carry code (inspection flags, never blocks)', async () => {
    const res = await post('/v1/llm/chat', {
      messages: user("Explain: <script>alert(1)</script> and SELECT * FROM users WHERE id = '1' OR '1'='1'"),
    });
    expect(res.status).toBe(200);
  });

  it('should enforce the model allow-list from runtime config', async () => {
    const patch = await request(app.getHttpServer())
      .patch('/config/llm')
      .set('authorization', ADMIN)
      .set('content-type', 'application/merge-patch+json')
      .send({ allowedModels: ['llama3.2:3b', 'nomic-embed-text'] });
    expect(patch.status).toBe(200);
    try {
      const refused = await post('/v1/llm/generate', { model: 'llava:7b', prompt: 'x' });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('LLM.MODEL_NOT_ALLOWED');
      const models = await request(app.getHttpServer()).get('/v1/llm/models').set('authorization', AUTH);
      expect(models.body.models.map((m: { name: string }) => m.name)).toEqual([
        'llama3.2:3b',
        'nomic-embed-text:latest',
      ]);
      expect((await post('/v1/llm/embeddings', { input: 'x' })).status).toBe(200);
    } finally {
      await request(app.getHttpServer())
        .patch('/config/llm')
        .set('authorization', ADMIN)
        .set('content-type', 'application/merge-patch+json')
        .send({ allowedModels: [] });
    }
  });

  it('should answer UPSTREAM.TIMEOUT when Ollama does not answer in time', async () => {
    fake.set({ hang: true });
    const res = await post('/v1/llm/chat', { messages: user('hi') });
    expect(res.status).toBe(504);
    expect(res.body.code).toBe('UPSTREAM.TIMEOUT');
    expect(JSON.stringify(res.body)).not.toContain(fake.url);
  });

  it('should end an SSE stream with an error event when Ollama drops the connection midway', async () => {
    fake.set({ dropAfterChunks: 2, tokenLatencyMs: 1 });
    const res = await post('/v1/llm/chat', { messages: user('a b c d e'), stream: true })
      .buffer(true)
      .parse(collectText);
    const events = parseSse(res.body as string);
    expect(events.filter((e) => e.event === 'token')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'UPSTREAM.BAD_RESPONSE', status: 502 } });
  });

  it("should relay Ollama's in-stream error line as an error event", async () => {
    fake.set({ streamErrorAfterChunks: 1, failMessage: 'out of memory' });
    const res = await post('/v1/llm/generate', { prompt: 'a b c', stream: true }).buffer(true).parse(collectText);
    const events = parseSse(res.body as string);
    expect(events.map((e) => e.event)).toEqual(['token', 'error']);
    expect(events[1].data).toMatchObject({
      code: 'LLM.GENERATION_FAILED',
      detail: expect.stringContaining('out of memory'),
    });
  });

  it('should abort the Ollama request when the client disconnects mid-stream', async () => {
    fake.set({ tokenLatencyMs: 30 });
    const server = app.getHttpServer();
    if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/v1/llm/chat`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: user('one two three four five six seven'), stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: token')) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await eventually(() => fake.abortedStreams === 1, { what: 'the upstream stream being aborted' });
  });
});
