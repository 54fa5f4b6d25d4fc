import type { NestExpressApplication } from '@nestjs/platform-express';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBuffer } from 'music-metadata';
import request from 'supertest';
import WebSocket from 'ws';
import { FakeSpeechServer } from './fixtures/fake-speech';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { bearer, TEST_AUTH, TEST_KEYS } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);

/** Long enough to be a job (TTS_NATIVE_JOB_CHARS 200 below) and several chunks of at most 100 characters. */
const LONG = Array.from(
  { length: 8 },
  (_, i) => `Sentence ${i + 1} of a text that is long enough to become a speech job.`,
).join(' ');

async function listen(app: NestExpressApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

/** A job's terminal event; a loaded machine may take a while to speak a long text. */
const ended = (events: SseTestClient) =>
  events.until(() => events.events.some((e) => e.type === 'done' || e.type === 'error'), 60_000);

const jobEnv = (dataDir: string) => ({
  DATA_DIR: dataDir,
  TTS_SPEECH_PER_MINUTE: '10000',
  TTS_NATIVE_JOB_CHARS: '200',
  TTS_FIRST_CHUNK_CHARS: '60',
  TTS_CHUNK_CHARS: '100',
  TTS_PARALLEL_CHUNKS: '3',
});

describe('TTS long text as a platform job, over two remote speech servers (fakes) (e2e)', () => {
  let fakes: FakeSpeechServer[];
  let app: NestExpressApplication;
  let base: string;
  let dataDir: string;
  const http = () => request(app.getHttpServer());
  const submit = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    http()
      .post('/v1/tts')
      .set({ authorization: AUTH, ...headers })
      .send({ model: 'kokoro', voice: 'alloy', format: 'wav', ...body });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-tts-jobs-'));
    fakes = await Promise.all([FakeSpeechServer.start(), FakeSpeechServer.start()]);
    app = await createTestApp({
      env: {
        ...jobEnv(dataDir),
        TTS_OPENAI_URLS: fakes.map((f) => f.url).join(','),
        TTS_ESPEAK_ENABLED: 'false',
        TTS_TIMEOUT_MS: '60000',
        // Probed once at start only: on a loaded machine a probe that misses its 2 s would mark
        // the fakes unreachable mid-test (that behaviour has its own tests).
        TTS_HEALTH_INTERVAL_MS: '3600000',
      },
    });
    base = await listen(app);
  });
  afterEach(() => fakes.forEach((f) => f.reset()));
  afterAll(async () => {
    await app.close();
    await Promise.all(fakes.map((f) => f.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should run long text as a job: 202, progress per chunk, chunks spread over both servers, the stored record as result', async () => {
    const accepted = await submit({ text: LONG });
    expect(accepted.status).toBe(202);
    const job = accepted.body as { id: string; kind: string };
    expect(job.kind).toBe('tts.synthesis');
    expect(accepted.headers.location).toBe(`/jobs/${job.id}`);

    const events = new SseTestClient(`${base}/jobs/${job.id}/events`, ['state', 'progress'], { authorization: AUTH });
    await ended(events);
    const progress = events.of('progress').map((e) => e.data as { value: number; max: number; stage: string });
    const chunks = fakes.reduce((n, f) => n + f.calls.length, 0);
    expect(chunks).toBeGreaterThan(3);
    expect(progress.map((p) => p.value)).toEqual(Array.from({ length: chunks }, (_, i) => i + 1));
    expect(progress.every((p) => p.max === chunks && p.stage === 'synthesis')).toBe(true);
    // Parallel chunks go to the instance with the fewest outstanding calls: both get some.
    expect(fakes.every((f) => f.calls.length > 0)).toBe(true);

    const done = events.of('done')[0].data as { state: string; result: Record<string, unknown> };
    expect(done.state).toBe('succeeded');
    const result = done.result as { id: string; durationSeconds: number; bytes: number };
    expect(result).toMatchObject({
      format: 'wav',
      backend: 'openai',
      voice: 'af_alloy',
      requestedVoice: 'alloy',
      sampleRate: 24_000,
      quality: { flags: [] },
      audioUrl: `/v1/tts/${result.id}/audio`,
    });
    // The same record as GET /v1/tts/:id, and audio that parses with the stated length.
    expect((await http().get(`/v1/tts/${result.id}`).set('authorization', AUTH)).body).toEqual(result);
    const audio = await http()
      .get(`/v1/tts/${result.id}/audio`)
      .set('authorization', AUTH)
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => cb(null, Buffer.concat(parts)));
      });
    const { format } = await parseBuffer(audio.body as Buffer, { mimeType: 'audio/wav' });
    expect(format.duration).toBeCloseTo(result.durationSeconds, 2);
    // Another tenant sees neither the job nor the audio.
    const globex = bearer(TEST_KEYS.globex.viewer);
    expect((await http().get(`/jobs/${job.id}`).set('authorization', globex)).status).toBe(404);
    expect((await http().get(`/v1/tts/${result.id}`).set('authorization', globex)).status).toBe(404);
  });

  it('should push the same progress and result over the jobs WebSocket', async () => {
    const messages: { type: string; job?: string; event?: string; data?: { value?: number; result?: unknown } }[] = [];
    const ws = new WebSocket(`${base.replace('http', 'ws')}/jobs/ws`, { headers: { authorization: AUTH } });
    ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as (typeof messages)[number]));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    try {
      const { body: job } = await submit({ text: LONG });
      // The job's history from its start, then live events.
      ws.send(JSON.stringify({ type: 'subscribe', job: job.id, after: 0 }));
      await eventually(() => messages.some((m) => m.job === job.id && (m.type === 'done' || m.type === 'error')), {
        timeoutMs: 25_000,
        what: 'the job ended on the socket',
      });
      const progress = messages.filter((m) => m.job === job.id && m.event === 'progress');
      expect(progress.map((m) => m.data?.value)).toEqual(progress.map((_, i) => i + 1));
      expect(progress.length).toBeGreaterThan(3);
      const done = messages.find((m) => m.job === job.id && (m.type === 'done' || m.type === 'error'));
      expect(done?.type).toBe('done');
      expect(done?.data?.result).toMatchObject({ format: 'wav', backend: 'openai', quality: { flags: [] } });
    } finally {
      ws.close();
    }
  });

  it('should answer short text at once (201), without a job', async () => {
    const res = await submit({ text: 'Short text.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ format: 'wav', backend: 'openai', quality: { flags: [] } });
  });

  it('should refuse a bad long request at once with a problem, queueing nothing', async () => {
    const count = async () =>
      ((await http().get('/jobs?kind=tts.synthesis').set('authorization', AUTH)).body.items as unknown[]).length;
    const before = await count();
    const res = await submit({ text: LONG, voice: 'nobody' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.code).toBe('TTS.UNKNOWN_VOICE');
    expect(await count()).toBe(before);
  });

  it('should give the same job for the same Idempotency-Key', async () => {
    fakes.forEach((f) => f.set({ delayMs: 100 }));
    const first = await submit({ text: LONG }, { 'idempotency-key': 'tts-once' });
    const again = await submit({ text: LONG }, { 'idempotency-key': 'tts-once' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    await eventually(
      async () => (await http().get(`/jobs/${first.body.id}`).set('authorization', AUTH)).body.state === 'succeeded',
      { timeoutMs: 20_000, what: 'the job succeeded' },
    );
  });

  it('should abort the upstream requests when the job is cancelled', async () => {
    fakes.forEach((f) => f.set({ delayMs: 60_000 }));
    const { body: job } = await submit({ text: LONG });
    await eventually(() => fakes.reduce((n, f) => n + f.inFlight, 0) > 0, { what: 'a chunk reached a server' });
    const cancel = await http().delete(`/jobs/${job.id}`).set('authorization', AUTH);
    expect(cancel.status).toBe(202);
    await eventually(
      async () => (await http().get(`/jobs/${job.id}`).set('authorization', AUTH)).body.state === 'cancelled',
      { timeoutMs: 10_000, what: 'the job was cancelled' },
    );
    // Every request the job had open was closed by Fennec, not answered.
    await eventually(() => fakes.every((f) => f.inFlight === 0), { what: 'no request left open upstream' });
    expect(fakes.reduce((n, f) => n + f.abandoned, 0)).toBeGreaterThan(0);
    const ended = (await http().get(`/jobs/${job.id}`).set('authorization', AUTH)).body;
    expect(ended.problem).toMatchObject({ code: 'JOBS.CANCELLED' });
  });
});

function installed(command: string): boolean {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// CI installs espeak-ng (.ci/run): there this must run, never skip.
const HAVE_ESPEAK = installed('espeak-ng');
if (process.env.CI === 'true' && !HAVE_ESPEAK) throw new Error('CI must have espeak-ng installed');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

(HAVE_ESPEAK ? describe : describe.skip)('TTS jobs on the local engine (e2e)', () => {
  let app: NestExpressApplication;
  let base: string;
  let dataDir: string;
  let pidFile: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-tts-jobs-'));
    pidFile = join(dataDir, 'engine.pids');
    app = await createTestApp({ env: jobEnv(dataDir) });
    base = await listen(app);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should speak a long text with espeak-ng in a job and store mp3 that parses', async () => {
    const accepted = await request(app.getHttpServer())
      .post('/v1/tts')
      .set('authorization', AUTH)
      .send({ text: LONG, voice: 'nova', format: 'mp3' });
    expect(accepted.status).toBe(202);
    const events = new SseTestClient(`${base}/jobs/${accepted.body.id}/events`, ['state', 'progress'], {
      authorization: AUTH,
    });
    await ended(events);
    const done = events.of('done')[0]?.data as { result: { id: string; durationSeconds: number; quality: unknown } };
    expect(done.result).toMatchObject({ format: 'mp3', backend: 'espeak', voice: 'en-us+f3', quality: { flags: [] } });
    expect(events.of('progress').length).toBeGreaterThan(3);
    expect(done.result.durationSeconds).toBeGreaterThan(15);
  });

  describe('with an engine that hangs', () => {
    let slow: NestExpressApplication;

    beforeAll(async () => {
      // Child processes get the real process environment, not Jest's copy: the pid file's path
      // goes in through a wrapper.
      const command = join(dataDir, 'slow-espeak');
      writeFileSync(
        command,
        `#!/bin/sh\nSLOW_ESPEAK_PIDS='${pidFile}' exec '${join(__dirname, 'fixtures/fake-speech/slow-espeak.sh')}' "$@"\n`,
        { mode: 0o755 },
      );
      slow = await createTestApp({ env: { ...jobEnv(join(dataDir, 'slow')), TTS_ESPEAK_COMMAND: command } });
    });
    afterAll(() => slow.close());

    it("should kill the engine's processes when the job is cancelled", async () => {
      const http = () => request(slow.getHttpServer());
      const { body: job } = await http()
        .post('/v1/tts')
        .set('authorization', AUTH)
        .send({ text: LONG, voice: 'alloy' });
      const pids = await eventually(
        () => {
          const list = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : [];
          return list.length > 0 && list;
        },
        { what: 'the engine started speaking' },
      );
      expect(pids.every(alive)).toBe(true);
      expect((await http().delete(`/jobs/${job.id}`).set('authorization', AUTH)).status).toBe(202);
      await eventually(
        async () => (await http().get(`/jobs/${job.id}`).set('authorization', AUTH)).body.state === 'cancelled',
        { timeoutMs: 10_000, what: 'the job was cancelled' },
      );
      await eventually(() => !pids.some(alive), { what: 'every engine process is gone' });
    });
  });
});
