import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { ARTICLE, TRANSCRIPT, TYPESCRIPT } from '../src/services/summarization/text/fixtures.testing';
import { FakeOllama } from './fixtures/fake-ollama';
import { withLlmClient } from './fixtures/llm/fake-llm.module';
import { OllamaLlmClient } from './fixtures/llm/ollama-llm-client';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

const PROBLEM = /^application\/problem\+json/;

interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Collects a whole SSE body as text, then splits it into events. */
const sseText = (res: request.Response, done: (err: Error | null, body: string) => void) => {
  const stream = res as unknown as NodeJS.ReadableStream;
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  stream.on('end', () => done(null, text));
};
function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((f) => f.includes('event: '))
    .map((frame) => {
      const field = (name: string) => [...frame.matchAll(new RegExp(`^${name}: (.*)$`, 'gm'))][0]?.[1];
      return {
        id: field('id') ?? '',
        event: field('event') ?? '',
        data: JSON.parse(field('data') ?? 'null') as Record<string, unknown>,
      };
    });
}
const AUTH = bearer(TEST_AUTH.viewer);

describe('Summaries (e2e)', () => {
  describe('without an LLM gateway', () => {
    let app: NestExpressApplication;
    beforeAll(async () => {
      app = await createTestApp({ env: { SUMMARY_MAX_TEXT_CHARS: '5000', SUMMARY_BATCH_MAX_DOCUMENTS: '3' } });
    });
    afterAll(() => app.close());
    const post = (body: object) =>
      request(app.getHttpServer()).post('/v1/summaries').set('authorization', AUTH).send(body);

    it('should summarise an article extractively and report how', async () => {
      const res = await post({ text: ARTICLE, mode: 'extractive', maxSentences: 2 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        method: 'extractive',
        strategy: 'textrank-sentences',
        requestedMode: 'extractive',
        contentType: { type: 'prose' },
        stats: { inputChars: ARTICLE.length, inputSentences: 7, summarySentences: 2 },
      });
      expect(res.body.summary).toMatch(/solar/i);
      expect(res.body.summary).not.toMatch(/giraffe/);
      expect(res.body.stats.compressionRatio).toBeCloseTo(res.body.summary.length / ARTICLE.length, 3);
      expect(res.body.timingMs).toBeGreaterThanOrEqual(0);
      expect(res.body.fallbackReason).toBeUndefined();
    });

    it('should give the same summary for the same text', async () => {
      const [a, b] = await Promise.all([post({ text: ARTICLE, ratio: 0.5 }), post({ text: ARTICLE, ratio: 0.5 })]);
      expect(a.body.summary).toBe(b.body.summary);
      expect(a.body.stats.summarySentences).toBe(4);
    });

    it('should fall back to extractive in auto mode and say why', async () => {
      const res = await post({ text: ARTICLE });
      expect(res.body).toMatchObject({
        method: 'extractive',
        requestedMode: 'auto',
        fallbackReason: expect.stringMatching(/^llm (not configured|unavailable)$/),
      });
      expect(res.body.stats.summarySentences).toBe(3);
    });

    it('should outline code by its declarations, not its sentences', async () => {
      const res = await post({ text: TYPESCRIPT, maxSentences: 2 });
      expect(res.body).toMatchObject({ contentType: { type: 'code' }, strategy: 'code-outline' });
      expect(res.body.summary).toBe(
        'export class DocumentIndex — Stores documents and answers searches over them.\nexport const VERSION',
      );
    });

    it('should keep speaker turns of a transcript', async () => {
      const res = await post({ text: TRANSCRIPT, maxSentences: 2 });
      expect(res.body).toMatchObject({ contentType: { type: 'conversation' }, strategy: 'textrank-turns' });
      expect(res.body.summary.split('\n').every((l: string) => /^(Alice|Bob|Carol): /.test(l))).toBe(true);
    });

    it('should answer abstractive with 503 LLM.UNAVAILABLE', async () => {
      const res = await post({ text: ARTICLE, mode: 'abstractive' });
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('LLM.UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
    });

    it.each([
      ['empty text', { text: '' }, 'text'],
      ['blank text', { text: '  \n ' }, 'text'],
      ['missing text', { mode: 'auto' }, 'text'],
      ['bad mode', { text: 'Hi there.', mode: 'magic' }, 'mode'],
      ['maxSentences 0', { text: 'Hi there.', maxSentences: 0 }, 'maxSentences'],
      ['maxSentences 51', { text: 'Hi there.', maxSentences: 51 }, 'maxSentences'],
      ['ratio 0', { text: 'Hi there.', ratio: 0 }, 'ratio'],
      ['ratio 1.5', { text: 'Hi there.', ratio: 1.5 }, 'ratio'],
      ['both lengths', { text: 'Hi there.', ratio: 0.5, maxSentences: 2 }, 'ratio'],
    ])('should reject %s with a field error', async (_name, body, field) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION.FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('should answer a text over the limit with 413', async () => {
      const res = await post({ text: 'word '.repeat(1200) });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('SUMMARY.TEXT_TOO_LARGE');
    });

    it('should stream a batch: progress per document, failures reported, then done', async () => {
      const res = await request(app.getHttpServer())
        .post('/v1/summaries/batch')
        .set('authorization', AUTH)
        .send({
          documents: [{ id: 'a', text: ARTICLE }, { text: TYPESCRIPT }, { id: 'c', text: ARTICLE }],
          mode: 'extractive',
          maxSentences: 1,
        })
        .buffer(true)
        .parse(sseText);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      const events = parseSse(res.body as string);
      expect(events.map((e) => e.event)).toEqual(['progress', 'progress', 'progress', 'done']);
      expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4']);
      expect(events[0].data).toMatchObject({
        index: 0,
        id: 'a',
        completed: 1,
        total: 3,
        status: 'ok',
        result: { method: 'extractive' },
      });
      expect(events[1].data).toMatchObject({ index: 1, status: 'ok', result: { contentType: { type: 'code' } } });
      expect(events[3].data).toEqual({ total: 3, succeeded: 3, failed: 0 });
    });

    it('should report a failed document in a batch and carry on', async () => {
      const res = await request(app.getHttpServer())
        .post('/v1/summaries/batch')
        .set('authorization', AUTH)
        .send({ documents: [{ text: ARTICLE }, { text: ARTICLE }], mode: 'abstractive' })
        .buffer(true)
        .parse(sseText);
      const events = parseSse(res.body as string);
      expect(events[0].data).toMatchObject({ status: 'failed', error: { code: 'LLM.UNAVAILABLE' } });
      expect(events.at(-1)).toMatchObject({ event: 'done', data: { succeeded: 0, failed: 2 } });
    });

    it('should refuse a batch over the limit or with a bad document before streaming', async () => {
      const many = Array.from({ length: 4 }, () => ({ text: 'Hello there.' }));
      const tooMany = await request(app.getHttpServer())
        .post('/v1/summaries/batch')
        .set('authorization', AUTH)
        .send({ documents: many });
      expect(tooMany.status).toBe(413);
      expect(tooMany.body.code).toBe('SUMMARY.BATCH_TOO_LARGE');
      const empty = await request(app.getHttpServer())
        .post('/v1/summaries/batch')
        .set('authorization', AUTH)
        .send({ documents: [] });
      expect(empty.status).toBe(400);
      const bad = await request(app.getHttpServer())
        .post('/v1/summaries/batch')
        .set('authorization', AUTH)
        .send({ documents: [{ text: ' ' }] });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('documents.0.text');
      const huge = await request(app.getHttpServer())
        .post('/v1/summaries/batch')
        .set('authorization', AUTH)
        .send({ documents: [{ text: 'x '.repeat(3000) }] });
      expect(huge.status).toBe(413);
      expect(huge.body.detail).toContain('documents.0.text');
    });

    it('should count summaries in /metrics', async () => {
      const res = await request(app.getHttpServer()).get('/metrics').set('authorization', bearer(TEST_AUTH.admin));
      expect(res.text).toMatch(/fennec_summaries_total\{method="extractive",content_type="prose"\} [1-9]/);
    });
  });

  describe('with an LLM gateway on a fake Ollama', () => {
    let app: NestExpressApplication;
    let fake: FakeOllama;
    let llm: OllamaLlmClient;
    beforeAll(async () => {
      fake = await FakeOllama.start({ reply: () => 'Solar power grew fastest, driven by cheaper panels.' });
      llm = new OllamaLlmClient(fake.url);
      app = await createTestApp({ ...withLlmClient(llm) });
    });
    afterEach(() => {
      llm.available = true;
      fake.set({ failWithStatus: undefined });
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
    });
    const post = (body: object) =>
      request(app.getHttpServer()).post('/v1/summaries').set('authorization', AUTH).send(body);

    it('should run abstractive in auto mode and say which model wrote it', async () => {
      const res = await post({ text: ARTICLE, maxSentences: 2 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        method: 'abstractive',
        strategy: 'llm',
        model: 'llama3.2:3b',
        summary: 'Solar power grew fastest, driven by cheaper panels.',
        stats: { inputSentences: 7, summarySentences: 1 },
      });
      const chat = fake.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as {
        messages: { content: string }[];
      };
      expect(chat.messages[1].content).toContain('in at most 2 sentences');
      expect(chat.messages[1].content).toContain(ARTICLE);
    });

    it('should fall back to extractive when the gateway is down', async () => {
      llm.available = false;
      const res = await post({ text: ARTICLE });
      expect(res.body).toMatchObject({ method: 'extractive', fallbackReason: 'llm unavailable' });
      const strict = await post({ text: ARTICLE, mode: 'abstractive' });
      expect(strict.status).toBe(503);
    });

    it('should fall back to extractive when the LLM call fails in auto mode', async () => {
      fake.set({ failWithStatus: 500 });
      const res = await post({ text: ARTICLE });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ method: 'extractive' });
      expect(res.body.fallbackReason).toMatch(/^llm failed/);
    });
  });
});
