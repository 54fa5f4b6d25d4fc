import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ARTICLE, TRANSCRIPT, TYPESCRIPT } from '../src/services/summarization/text/fixtures.testing';
import { FakeOllama } from './fixtures/fake-ollama';
import { withLlmClient } from './fixtures/llm/fake-llm.module';
import { OllamaLlmClient } from './fixtures/llm/ollama-llm-client';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
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

interface Job {
  id: string;
  kind: string;
  state: string;
  result?: { total: number; succeeded: number; failed: number; documents: Record<string, unknown>[] };
  problem?: { code: string };
}

/** A listening app's base URL, and its jobs as this suite's caller sees them. */
const jobsOf = (app: NestExpressApplication) => {
  const { port } = app.getHttpServer().address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  const get = async (id: string) =>
    (await (await fetch(`${base}/jobs/${id}`, { headers: { authorization: AUTH } })).json()) as Job;
  return {
    base,
    get,
    follow: (id: string) =>
      new SseTestClient(`${base}/jobs/${id}/events`, ['state', 'progress'], { authorization: AUTH }),
    waitState: (id: string, state: string) =>
      eventually(async () => ((await get(id)).state === state ? get(id) : undefined), {
        timeoutMs: 20_000,
        what: `job ${id} ${state}`,
      }),
  };
};
/** A summary without its timing (the only field that differs between two runs of the same text). */
const untimed = (doc: Record<string, unknown>) => {
  const { result, ...rest } = doc as { result?: Record<string, unknown> };
  if (!result) return rest;
  const { timingMs: _timingMs, ...summary } = result;
  return { ...rest, result: summary };
};

describe('Summaries (e2e)', () => {
  describe('without an LLM gateway', () => {
    let app: NestExpressApplication;
    const dataDir = mkdtempSync(join(tmpdir(), 'fennec-summaries-'));
    beforeAll(async () => {
      app = await createTestApp({
        env: { SUMMARY_MAX_TEXT_CHARS: '5000', SUMMARY_BATCH_MAX_DOCUMENTS: '3', DATA_DIR: dataDir },
      });
      await app.listen(0, '127.0.0.1');
    });
    afterAll(async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
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

    it('should run a batch as a job: 202 at once, progress per document over SSE, the same summaries as the stream', async () => {
      const body = {
        documents: [{ id: 'a', text: ARTICLE }, { text: TYPESCRIPT }, { id: 'c', text: TRANSCRIPT }],
        mode: 'extractive',
        maxSentences: 1,
      };
      const res = await request(app.getHttpServer())
        .post('/v1/summaries/batch/jobs')
        .set('authorization', AUTH)
        .send(body);
      expect(res.status).toBe(202);
      expect(res.headers.location).toBe(`/jobs/${res.body.id}`);
      expect(res.body).toMatchObject({
        kind: 'summaries.batch',
        state: expect.stringMatching(/^(queued|running|succeeded)$/),
      });

      const jobs = jobsOf(app);
      const sse = jobs.follow(res.body.id as string);
      await sse.ended();
      const progress = sse.of('progress').map((e) => e.data as Record<string, unknown>);
      expect(progress.map((p) => [p.value, p.max, p.stage])).toEqual([
        [1, 3, 'summarising'],
        [2, 3, 'summarising'],
        [3, 3, 'summarising'],
      ]);
      expect(progress.map((p) => p.message)).toEqual([
        'document a: summarised',
        'document 2: summarised',
        'document c: summarised',
      ]);
      const done = sse.of('done')[0].data as { state: string; result: NonNullable<Job['result']> };
      expect(done.state).toBe('succeeded');
      expect(progress.map((p) => p.preview)).toEqual(
        done.result.documents.map((d) => (d.result as { summary: string }).summary),
      );

      // The result holds what the streaming route sends: its progress events and its done tally.
      const streamed = parseSse(
        (
          await request(app.getHttpServer())
            .post('/v1/summaries/batch')
            .set('authorization', AUTH)
            .send(body)
            .buffer(true)
            .parse(sseText)
        ).body as string,
      );
      const { documents, ...tally } = done.result;
      expect(tally).toEqual(streamed.at(-1)!.data);
      expect(documents.map(untimed)).toEqual(
        streamed.slice(0, -1).map((e) => {
          const { completed: _c, total: _t, ...doc } = e.data;
          return untimed(doc);
        }),
      );
      expect((await jobs.get(res.body.id as string)).result).toEqual(done.result);
    });

    it('should report failed documents in the job result and refuse a bad batch before queueing it', async () => {
      const submitted = await request(app.getHttpServer())
        .post('/v1/summaries/batch/jobs')
        .set('authorization', AUTH)
        .send({ documents: [{ text: ARTICLE }, { text: ARTICLE }], mode: 'abstractive' });
      const job = await jobsOf(app).waitState(submitted.body.id as string, 'succeeded');
      expect(job.result).toMatchObject({
        total: 2,
        succeeded: 0,
        failed: 2,
        documents: [
          { index: 0, status: 'failed', error: { code: 'LLM.UNAVAILABLE' } },
          { index: 1, status: 'failed', error: { code: 'LLM.UNAVAILABLE' } },
        ],
      });
      const tooMany = await request(app.getHttpServer())
        .post('/v1/summaries/batch/jobs')
        .set('authorization', AUTH)
        .send({ documents: Array.from({ length: 4 }, () => ({ text: 'Hello there.' })) });
      expect(tooMany.status).toBe(413);
      expect(tooMany.body.code).toBe('SUMMARY.BATCH_TOO_LARGE');
      const bad = await request(app.getHttpServer())
        .post('/v1/summaries/batch/jobs')
        .set('authorization', AUTH)
        .send({ documents: [{ text: ' ' }] });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('documents.0.text');
    });

    it('should return the first job for a repeated Idempotency-Key', async () => {
      const send = () =>
        request(app.getHttpServer())
          .post('/v1/summaries/batch/jobs')
          .set('authorization', AUTH)
          .set('idempotency-key', 'nightly-digest-1')
          .send({ documents: [{ text: ARTICLE }], mode: 'extractive' });
      const first = await send();
      const again = await send();
      expect(again.status).toBe(202);
      expect(again.body.id).toBe(first.body.id);
      expect(again.headers['idempotent-replayed']).toBe('true');
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
    const dataDir = mkdtempSync(join(tmpdir(), 'fennec-summaries-llm-'));
    beforeAll(async () => {
      fake = await FakeOllama.start({ reply: () => 'Solar power grew fastest, driven by cheaper panels.' });
      llm = new OllamaLlmClient(fake.url);
      app = await createTestApp({ ...withLlmClient(llm), env: { DATA_DIR: dataDir } });
      await app.listen(0, '127.0.0.1');
    });
    afterEach(() => {
      llm.available = true;
      fake.set({ failWithStatus: undefined, tokenLatencyMs: 0 });
    });
    afterAll(async () => {
      await app.close();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
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

    it('should stop a batch job cancelled mid-batch: the LLM call in flight is closed, no further document goes to the LLM', async () => {
      // Each abstractive summary takes a while (the fake answers token by token), so the batch is
      // still running after its first document.
      fake.set({ tokenLatencyMs: 150 });
      const before = llm.calls.length;
      const submitted = await request(app.getHttpServer())
        .post('/v1/summaries/batch/jobs')
        .set('authorization', AUTH)
        .send({
          documents: Array.from({ length: 5 }, (_, i) => ({ id: `d${i}`, text: ARTICLE })),
          mode: 'abstractive',
        });
      expect(submitted.status).toBe(202);
      const jobs = jobsOf(app);
      const sse = jobs.follow(submitted.body.id as string);
      await sse.until(() => sse.of('progress').length >= 1, 20_000);
      const cancel = await fetch(`${jobs.base}/jobs/${submitted.body.id}`, {
        method: 'DELETE',
        headers: { authorization: AUTH },
      });
      // Running: the signal is aborted now, the job ends `cancelled` once the handler stops.
      expect(cancel.status).toBe(202);
      expect(await cancel.json()).toMatchObject({ cancelRequested: true });
      await sse.ended();
      expect(sse.of('error')[0].data).toMatchObject({ code: 'JOBS.CANCELLED' });
      const job = await jobs.get(submitted.body.id as string);
      expect(job).toMatchObject({ state: 'cancelled', problem: { code: 'JOBS.CANCELLED' } });
      expect(job.result).toBeUndefined();
      // The first document was summarised, the one in flight at the cancel was the last asked for.
      expect(sse.of('progress')[0].data).toMatchObject({ value: 1, max: 5, message: 'document d0: summarised' });
      const asked = llm.calls.length - before;
      expect(asked).toBeGreaterThanOrEqual(1);
      expect(asked).toBeLessThan(5);
      expect(sse.of('progress').length).toBeLessThan(5);
      // The request to the LLM that was in flight at the cancel was closed, not left to finish.
      await eventually(() => fake.abortedAnswers === 1, { what: 'the fake Ollama seeing the chat request closed' });
    });
  });
});
