import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import request from 'supertest';
import { FakeOllama, hashedEmbedding } from './fixtures/fake-ollama';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';
import { eventually } from './support/eventually';

const AUTH = bearer(TEST_AUTH.viewer);

async function listen(app: NestExpressApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

describe('LLM drop-in surfaces with the official clients (e2e)', () => {
  let fake: FakeOllama;
  let app: NestExpressApplication;
  let base: string;
  let ollama: Ollama;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await FakeOllama.start();
    app = await createTestApp({
      env: {
        OLLAMA_URLS: fake.url,
        LLM_HEALTH_INTERVAL_MS: '300000',
        LLM_CHAT_PER_MINUTE: '10000',
        LLM_STREAMS_PER_MINUTE: '10000',
      },
    });
    base = await listen(app);
    // Unmodified clients; only where they point and the Fennec API key they send.
    ollama = new Ollama({ host: `${base}/ollama`, headers: { Authorization: AUTH } });
    openai = new OpenAI({ apiKey: TEST_AUTH.viewer.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  describe('Ollama-compatible /ollama/api', () => {
    it('should answer version, list and show', async () => {
      expect(await ollama.version()).toEqual({ version: '0.12.6' });
      const { models } = await ollama.list();
      expect(models.map((m) => m.name)).toEqual(['llama3.2:3b', 'nomic-embed-text:latest', 'llava:7b']);
      const show = await ollama.show({ model: 'nomic-embed-text' });
      expect(show.capabilities).toEqual(['embedding']);
    });

    it('should stream chat as Ollama does, ending with the done chunk and its stats', async () => {
      const stream = await ollama.chat({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'Tell me about foxes' }],
        stream: true,
      });
      const parts = [];
      for await (const part of stream) parts.push(part);
      expect(
        parts
          .slice(0, -1)
          .map((p) => p.message.content)
          .join(''),
      ).toBe('This is a fake answer about tell me about foxes.');
      expect(parts.at(-1)).toMatchObject({ done: true, done_reason: 'stop', eval_count: parts.length - 1 });
      expect(parts.at(-1)!.total_duration).toBeGreaterThan(0);
    });

    it('should relay NDJSON line for line, streaming by default', async () => {
      const res = await fetch(`${base}/ollama/api/generate`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama3.2:3b', prompt: 'hello there' }),
      });
      expect(res.headers.get('content-type')).toBe('application/x-ndjson');
      const lines = (await res.text()).split('\n');
      expect(lines.at(-1)).toBe('');
      const objects = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(objects[0]).toEqual({
        model: 'llama3.2:3b',
        created_at: expect.any(String),
        response: 'This',
        done: false,
      });
      expect(objects.at(-1)).toMatchObject({ done: true, response: '', context: expect.any(Array) });
    });

    it('should answer generate and embed without streaming', async () => {
      const gen = await ollama.generate({ model: 'llama3.2:3b', prompt: 'Why is the sky blue?', stream: false });
      expect(gen.response).toBe('This is a fake answer about why is the sky blue.');
      const emb = await ollama.embed({ model: 'nomic-embed-text', input: ['red fox', 'blue whale'] });
      expect(emb.embeddings).toEqual([hashedEmbedding('red fox', 256), hashedEmbedding('blue whale', 256)]);
    });

    it("should answer errors in Ollama's shape", async () => {
      await expect(
        ollama.chat({ model: 'nope:1b', messages: [{ role: 'user', content: 'hi' }] }),
      ).rejects.toMatchObject({ status_code: 404, error: 'model "nope:1b" not found, try pulling it first' });
      await expect(new Ollama({ host: `${base}/ollama` }).list()).rejects.toMatchObject({ status_code: 401 });
    });

    it('should end a broken stream with an error line the client raises', async () => {
      fake.set({ dropAfterChunks: 2, tokenLatencyMs: 1 });
      const stream = await ollama.chat({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'a b c d' }],
        stream: true,
      });
      const seen: string[] = [];
      await expect(
        (async () => {
          for await (const part of stream) seen.push(part.message.content);
        })(),
      ).rejects.toThrow(/broke off/);
      expect(seen).toHaveLength(2);
    });

    it('should abort the upstream request when the Ollama client aborts', async () => {
      fake.set({ tokenLatencyMs: 20 });
      const stream = await ollama.chat({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'one two three four five six' }],
        stream: true,
      });
      await expect(
        (async () => {
          for await (const part of stream) if (part.message.content) stream.abort();
        })(),
      ).rejects.toThrow();
      await eventually(() => fake.abortedStreams === 1, { what: 'the upstream stream being aborted' });
    });
  });

  describe('OpenAI-compatible /v1', () => {
    it('should list models', async () => {
      const ids: string[] = [];
      for await (const m of openai.models.list()) ids.push(m.id);
      expect(ids).toEqual(['llama3.2:3b', 'nomic-embed-text:latest', 'llava:7b']);
      expect(await openai.models.retrieve('llava:7b')).toMatchObject({ id: 'llava:7b', object: 'model' });
    });

    it('should answer a chat completion with usage', async () => {
      const res = await openai.chat.completions.create({
        model: 'llama3.2:3b',
        messages: [
          { role: 'developer', content: 'Be brief.' },
          { role: 'user', content: 'Why is the sky blue?' },
        ],
        max_tokens: 3,
        temperature: 0.1,
      });
      expect(res.object).toBe('chat.completion');
      expect(res.choices[0]).toMatchObject({
        index: 0,
        message: { role: 'assistant', content: 'This is a' },
        finish_reason: 'length',
      });
      expect(res.usage).toMatchObject({ completion_tokens: 3 });
      expect(fake.requests.at(-1)!.body).toMatchObject({
        options: { num_predict: 3, temperature: 0.1 },
        messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user' }],
      });
    });

    it('should stream chunks, then [DONE], with usage when asked', async () => {
      const stream = await openai.chat.completions.create({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'a b c' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      expect(text).toBe('This is a fake answer about a b c.');
      expect(chunks[0].choices[0].delta.role).toBe('assistant');
      expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0].id)).toBe(true);
      expect(chunks.at(-2)!.choices[0].finish_reason).toBe('stop');
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 9 } });
    });

    it('should end the SSE with [DONE] on the wire', async () => {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }], stream: true }),
      });
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const body = await res.text();
      expect(body.startsWith('data: {')).toBe(true);
      expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    });

    it('should embed as floats or base64, as the client asks', async () => {
      const res = await openai.embeddings.create({ model: 'nomic-embed-text', input: ['red fox', 'blue whale'] });
      expect(res.data).toHaveLength(2);
      // The client asks for base64 by default and decodes it: float32 precision.
      const expected = hashedEmbedding('blue whale', 256);
      expect(res.data[1].index).toBe(1);
      res.data[1].embedding.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 6));
      const floats = await openai.embeddings.create({
        model: 'nomic-embed-text',
        input: 'red fox',
        encoding_format: 'float',
        dimensions: 32,
      });
      expect(floats.data[0].embedding).toHaveLength(32);
    });

    it("should answer errors in OpenAI's shape", async () => {
      await expect(
        openai.chat.completions.create({ model: 'nope:1b', messages: [{ role: 'user', content: 'hi' }] }),
      ).rejects.toMatchObject({ status: 404, code: 'LLM.MODEL_NOT_FOUND', type: 'not_found_error' });
      const bad = new OpenAI({ apiKey: 'fk_wrong', baseURL: `${base}/v1`, maxRetries: 0 });
      await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await expect(
        openai.chat.completions.create({
          model: 'llama3.2:3b',
          messages: [{ role: 'wizard' as 'user', content: 'x' }],
        }),
      ).rejects.toMatchObject({ status: 400, param: 'messages.0.role' });
    });

    it('should raise a mid-stream failure in the client', async () => {
      fake.set({ streamErrorAfterChunks: 1, failMessage: 'out of memory' });
      const stream = await openai.chat.completions.create({
        model: 'llama3.2:3b',
        messages: [{ role: 'user', content: 'a b c' }],
        stream: true,
      });
      await expect(
        (async () => {
          for await (const chunk of stream) void chunk;
        })(),
      ).rejects.toThrow(/out of memory/);
    });
  });

  it('should measure every surface in /metrics', async () => {
    await openai.chat.completions.create({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'x' }] });
    const res = await request(app.getHttpServer()).get('/metrics').set('authorization', bearer(TEST_AUTH.admin));
    expect(res.text).toMatch(/fennec_llm_calls_total\{operation="chat",outcome="ok"\} [1-9]/);
    expect(res.text).toMatch(/fennec_llm_tokens_total\{model="llama3.2:3b",kind="completion"\} [1-9]/);
    expect(res.text).toMatch(/route="\/v1\/chat\/completions"/);
    expect(res.text).toMatch(/route="\/ollama\/api\/chat"/);
  });
});

describe('LLM rate limits (e2e)', () => {
  let fake: FakeOllama;
  let app: NestExpressApplication;
  beforeAll(async () => {
    fake = await FakeOllama.start();
    app = await createTestApp({
      env: { OLLAMA_URLS: fake.url, LLM_CHAT_PER_MINUTE: '3', LLM_STREAMS_PER_MINUTE: '1' },
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });
  const chat = (key: string, stream: boolean, path = '/v1/llm/chat') =>
    request(app.getHttpServer())
      .post(path)
      .set('authorization', key)
      .send({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], stream });

  it('should limit streams per caller across routes, and chat calls per route', async () => {
    expect((await chat(AUTH, true)).status).toBe(200);
    const secondStream = await chat(AUTH, true, '/v1/chat/completions');
    expect(secondStream.status).toBe(429);
    expect(secondStream.body.error).toMatchObject({ type: 'rate_limit_error', code: 'RATE_LIMIT.EXCEEDED' });
    expect(Number(secondStream.headers['retry-after'])).toBeGreaterThan(0);
    // Another caller has its own budget.
    expect((await chat(bearer(TEST_AUTH.operator), true)).status).toBe(200);
    // LLM_CHAT_PER_MINUTE=3 on /v1/llm/chat: the stream above was the first.
    expect((await chat(AUTH, false)).status).toBe(200);
    expect((await chat(AUTH, false)).status).toBe(200);
    const limited = await chat(AUTH, false);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMIT.EXCEEDED');
  });
});
