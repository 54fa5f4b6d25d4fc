import type { NestExpressApplication } from '@nestjs/platform-express';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseBuffer } from 'music-metadata';
import OpenAI from 'openai';
import request from 'supertest';
import { FakeSpeechServer, speechSeconds } from './fixtures/fake-speech';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH, TEST_KEYS } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);
const ADMIN = bearer(TEST_AUTH.admin);

function installed(command: string, versionArg: string): boolean {
  try {
    execFileSync(command, [versionArg], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// CI installs espeak-ng and ffmpeg (.ci/run): there these tests must run, never skip.
const HAVE_ENGINE = installed('espeak-ng', '--version') && installed('ffmpeg', '-version');
if (process.env.CI === 'true' && !HAVE_ENGINE) throw new Error('CI must have espeak-ng and ffmpeg installed');
const describeEngine = HAVE_ENGINE ? describe : describe.skip;

async function listen(app: NestExpressApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

const LONG_TEXT = Array.from(
  { length: 12 },
  (_, i) => `This is sentence number ${i + 1} of a longer text, spoken by the local engine in chunks.`,
).join(' ');

/** A raw HTTP POST, to see chunks as they arrive and the trailers (fetch shows neither). */
function rawPost(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; chunks: Buffer[]; trailers: Record<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${path}`,
      { method: 'POST', headers: { authorization: AUTH, 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            chunks,
            trailers: res.trailers as Record<string, string>,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

interface SpeechEvent {
  id?: string;
  event?: string;
  data: { type?: string; audio?: string; [k: string]: unknown };
}

/** The events of an SSE body, as a client reading `id:`, `event:` and `data:` lines sees them. */
function sseEvents(body: string): SpeechEvent[] {
  return body
    .split('\n\n')
    .filter((block) => /^data:/m.test(block))
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const m = /^(\w+): ?(.*)$/.exec(line);
        if (m) fields[m[1]] = m[2];
      }
      return { id: fields.id, event: fields.event, data: JSON.parse(fields.data) as SpeechEvent['data'] };
    });
}

/** The file an SSE speech stream carried: its deltas' audio, in order. */
const deltaBytes = (events: SpeechEvent[]): Buffer =>
  Buffer.concat(
    events.filter((e) => e.data.type === 'speech.audio.delta').map((e) => Buffer.from(e.data.audio ?? '', 'base64')),
  );

describeEngine('TTS with espeak-ng and ffmpeg, through the official openai client (e2e)', () => {
  let app: NestExpressApplication;
  let base: string;
  let openai: OpenAI;

  beforeAll(async () => {
    app = await createTestApp({ env: { TTS_SPEECH_PER_MINUTE: '10000', TTS_NATIVE_MAX_CHARS: '2000' } });
    base = await listen(app);
    openai = new OpenAI({ apiKey: TEST_AUTH.viewer.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });
  afterAll(() => app.close());

  it('should speak through audio.speech.create unmodified, as a WAV that parses with the asked-for shape', async () => {
    const res = await openai.audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input: 'Hello from Fennec. The audio is checked, not trusted.',
      response_format: 'wav',
    });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('x-tts-backend')).toBe('espeak');
    expect(res.headers.get('x-tts-voice')).toBe('en-us');
    const bytes = Buffer.from(await res.arrayBuffer());
    const { format } = await parseBuffer(bytes, { mimeType: 'audio/wav' });
    expect(format).toMatchObject({ container: 'WAVE', codec: 'PCM', sampleRate: 22_050, numberOfChannels: 1 });
    expect(format.duration).toBeGreaterThan(1.5);
    const quality = JSON.parse(res.headers.get('x-tts-quality') ?? '{}') as { flags: string[]; rmsDbfs: number };
    expect(quality.flags).toEqual([]);
    expect(quality.rmsDbfs).toBeGreaterThan(-40);
  });

  it.each([
    ['mp3', 'audio/mpeg', 'MPEG'],
    ['opus', 'audio/ogg', 'Ogg'],
    ['aac', 'audio/aac', 'ADTS'],
    ['flac', 'audio/flac', 'FLAC'],
  ] as const)('should encode %s through ffmpeg with its content type', async (fmt, type, container) => {
    const res = await openai.audio.speech.create({
      model: 'tts-1',
      voice: 'nova',
      input: 'One two three.',
      response_format: fmt,
    });
    expect(res.headers.get('content-type')).toBe(type);
    const { format } = await parseBuffer(Buffer.from(await res.arrayBuffer()), { mimeType: type });
    expect(format.container).toMatch(new RegExp(`^${container}`));
    expect(format.numberOfChannels).toBe(1);
  });

  it('should answer mp3 by default, as OpenAI does, and raw 24 kHz pcm when asked', async () => {
    const mp3 = await openai.audio.speech.create({ model: 'tts-1', voice: 'echo', input: 'Default format.' });
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    const pcm = await openai.audio.speech.create({
      model: 'tts-1',
      voice: 'echo',
      input: 'Raw.',
      response_format: 'pcm',
    });
    expect(pcm.headers.get('content-type')).toBe('audio/pcm');
    const duration = Number(pcm.headers.get('x-audio-duration'));
    expect((await pcm.arrayBuffer()).byteLength).toBeCloseTo(duration * 24_000 * 2, -2);
  });

  it('should stream a long text as a WAV by sentence chunks, with the quality report as a trailer', async () => {
    const res = await rawPost(base, '/v1/audio/speech', {
      model: 'tts-1',
      voice: 'alloy',
      input: LONG_TEXT,
      response_format: 'wav',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
    const bytes = Buffer.concat(res.chunks);
    expect(bytes.readUInt32LE(40)).toBe(0xffffffff); // streaming header
    const samples = (bytes.length - 44) / 2;
    expect(samples / 22_050).toBeGreaterThan(20);
    const quality = JSON.parse(res.trailers['x-tts-quality']) as { durationSeconds: number; flags: string[] };
    expect(quality.flags).toEqual([]);
    expect(quality.durationSeconds).toBeCloseTo(samples / 22_050, 1);
  });

  it('should stream a long text as mp3 frames by sentence chunk, checked, with the quality report as a trailer', async () => {
    const res = await rawPost(base, '/v1/audio/speech', {
      model: 'tts-1',
      voice: 'alloy',
      input: LONG_TEXT,
      response_format: 'mp3',
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/mpeg');
    expect(res.headers['content-length']).toBeUndefined();
    const quality = JSON.parse(res.trailers['x-tts-quality']) as { durationSeconds: number; flags: string[] };
    expect(quality.flags).toEqual([]);
    const { format } = await parseBuffer(Buffer.concat(res.chunks), { mimeType: 'audio/mpeg' });
    expect(format).toMatchObject({ container: 'MPEG', sampleRate: 22_050, numberOfChannels: 1 });
    expect(Math.abs((format.duration ?? 0) - quality.durationSeconds)).toBeLessThan(0.2);
  });

  it("should stream OpenAI's speech events (stream_format sse) by sentence chunk, ending with speech.audio.done", async () => {
    const res = await openai.audio.speech.create({
      model: 'gpt-4o-mini-tts',
      voice: 'alloy',
      input: LONG_TEXT,
      response_format: 'wav',
      stream_format: 'sse',
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-tts-backend')).toBe('espeak');
    const events = sseEvents(await res.text());
    const deltas = events.filter((e) => e.event === 'speech.audio.delta');
    // One event per piece of at most 32 KiB, several chunks: clients play as they arrive.
    expect(deltas.length).toBeGreaterThan(3);
    // A client reading only `data:` sees exactly OpenAI's stream: deltas, then one speech.audio.done.
    expect(events.map((e) => e.data.type)).toEqual([...deltas.map(() => 'speech.audio.delta'), 'speech.audio.done']);
    const done = events[events.length - 1];
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({
      usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
      quality: { flags: [] },
    });
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const wav = deltaBytes(events);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(40)).toBe(0xffffffff); // streaming header
    expect((wav.length - 44) / 2 / 22_050).toBeCloseTo(done.data.durationSeconds as number, 2);
  });

  it('should stream an mp3 over sse whose deltas join into a file that parses', async () => {
    const res = await openai.audio.speech.create({
      model: 'espeak',
      voice: 'nova',
      input: LONG_TEXT,
      response_format: 'mp3',
      stream_format: 'sse',
    });
    const events = sseEvents(await res.text());
    expect(events.filter((e) => e.event === 'speech.audio.delta').length).toBeGreaterThan(1);
    const { format } = await parseBuffer(deltaBytes(events), { mimeType: 'audio/mpeg' });
    expect(format.container).toBe('MPEG');
    expect(Math.abs((format.duration ?? 0) - (events[events.length - 1].data.durationSeconds as number))).toBeLessThan(
      0.2,
    );
  });

  it('should refuse stream_format sse for tts-1, as OpenAI does, in its error dialect', async () => {
    await expect(
      openai.audio.speech.create({
        model: 'tts-1',
        voice: 'alloy',
        input: 'Hello.',
        response_format: 'wav',
        stream_format: 'sse',
      }),
    ).rejects.toMatchObject({ status: 400, param: 'stream_format', code: 'VALIDATION.FAILED' });
  });

  it("should take OpenAI's custom voice reference { id } and the newer OpenAI voice names", async () => {
    const byId = await openai.audio.speech.create({
      model: 'tts-1',
      voice: { id: 'en-gb' },
      input: 'A voice by id.',
      response_format: 'wav',
    });
    expect(byId.headers.get('x-tts-voice')).toBe('en-gb');
    const marin = await openai.audio.speech.create({
      model: 'tts-1',
      voice: 'marin',
      input: 'Marin speaks.',
      response_format: 'wav',
    });
    expect(marin.headers.get('x-tts-voice')).toBe('en-us+f5');
  });

  it('should list voices with the OpenAI names mapped to them', async () => {
    const res = await request(app.getHttpServer()).get('/v1/audio/voices').set('authorization', AUTH);
    expect(res.status).toBe(200);
    const enUs = (res.body.data as { id: string; aliases: string[]; backend: string }[]).find((v) => v.id === 'en-us');
    expect(enUs).toMatchObject({ backend: 'espeak', aliases: ['alloy'] });
    expect(res.body.formats).toEqual(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);
  });

  it.each([
    ['an unknown voice', { model: 'tts-1', voice: 'nobody', input: 'x' }, 'voice', 'TTS.UNKNOWN_VOICE'],
    ['an unknown model', { model: 'tts-9', voice: 'alloy', input: 'x' }, 'model', 'TTS.UNKNOWN_MODEL'],
    ['speed 5', { model: 'tts-1', voice: 'alloy', input: 'x', speed: 5 }, 'speed', 'VALIDATION.FAILED'],
    [
      'format ogg',
      { model: 'tts-1', voice: 'alloy', input: 'x', response_format: 'ogg' },
      'response_format',
      'VALIDATION.FAILED',
    ],
    ['4,097 characters', { model: 'tts-1', voice: 'alloy', input: 'x'.repeat(4097) }, 'input', 'VALIDATION.FAILED'],
    ['an empty input', { model: 'tts-1', voice: 'alloy', input: '' }, 'input', 'VALIDATION.FAILED'],
  ])('should refuse %s with a 400 in OpenAI error dialect naming the field', async (_what, body, param, code) => {
    const res = await request(app.getHttpServer()).post('/v1/audio/speech').set('authorization', AUTH).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request_error', param, code });
    expect(typeof res.body.error.message).toBe('string');
  });

  it('should store native speech for the tenant, describe it, and serve its audio with Range', async () => {
    const created = await request(app.getHttpServer())
      .post('/v1/tts')
      .set('authorization', AUTH)
      .send({ text: 'Stored speech. It can be fetched again.', voice: 'alloy', format: 'mp3' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      format: 'mp3',
      contentType: 'audio/mpeg',
      backend: 'espeak',
      voice: 'en-us',
      requestedVoice: 'alloy',
      sampleRate: 22_050,
      quality: { flags: [] },
    });
    expect(created.body.durationSeconds).toBeGreaterThan(1);
    const { id } = created.body as { id: string };
    const got = await request(app.getHttpServer()).get(`/v1/tts/${id}`).set('authorization', AUTH);
    expect(got.body).toEqual(created.body);
    const whole = await request(app.getHttpServer()).get(`/v1/tts/${id}/audio`).set('authorization', AUTH);
    expect(whole.status).toBe(200);
    expect(whole.headers['content-type']).toBe('audio/mpeg');
    expect(Number(whole.headers['content-length'])).toBe(created.body.bytes);
    const part = await request(app.getHttpServer())
      .get(`/v1/tts/${id}/audio`)
      .set('authorization', AUTH)
      .set('range', 'bytes=0-99');
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-99/${created.body.bytes}`);
    expect(Number(part.headers['content-length'])).toBe(100);
    // Another tenant does not see it.
    const other = await request(app.getHttpServer())
      .get(`/v1/tts/${id}`)
      .set('authorization', bearer(TEST_KEYS.globex.viewer));
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('TTS.NOT_FOUND');
  });

  it('should refuse native text beyond TTS_NATIVE_MAX_CHARS with a 413 problem', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/tts')
      .set('authorization', AUTH)
      .send({ text: 'A sentence. '.repeat(200), voice: 'alloy' });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.code).toBe('TTS.TEXT_TOO_LONG');
  });

  it('should raise the OpenAI client error type for a bad request', async () => {
    await expect(openai.audio.speech.create({ model: 'tts-1', voice: 'nobody', input: 'x' })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });
});

const SENTENCES =
  'One short sentence here. Another one follows it. A third sentence comes next. And a fourth one ends it.';

describe('TTS over a remote speech server (fake, OpenAI shape) (e2e)', () => {
  let fake: FakeSpeechServer;
  let app: NestExpressApplication;
  const speak = (body: Record<string, unknown> = {}) =>
    request(app.getHttpServer())
      .post('/v1/audio/speech')
      .set('authorization', AUTH)
      .send({ model: 'kokoro', voice: 'alloy', input: 'Hello there, this is a test.', response_format: 'wav', ...body })
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });

  beforeAll(async () => {
    fake = await FakeSpeechServer.start();
    app = await createTestApp({
      env: {
        TTS_OPENAI_URLS: fake.url,
        TTS_ESPEAK_ENABLED: 'false',
        TTS_SPEECH_PER_MINUTE: '10000',
        // Small chunks, so that a few sentences make several parallel calls.
        TTS_FIRST_CHUNK_CHARS: '60',
        TTS_CHUNK_CHARS: '100',
        TTS_PARALLEL_CHUNKS: '3',
        TTS_TIMEOUT_MS: '2000',
      },
    });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  it('should map the OpenAI voice name to the backend voice and ask the server for WAV', async () => {
    const res = await speak({ speed: 1.5 });
    expect(res.status).toBe(200);
    expect(fake.calls[0].body).toEqual({
      model: 'kokoro',
      input: 'Hello there, this is a test.',
      voice: 'af_alloy',
      response_format: 'wav',
      speed: 1.5,
    });
    expect(res.headers['x-tts-backend']).toBe('openai');
    expect(res.headers['x-audio-sample-rate']).toBe('24000');
    const quality = JSON.parse(res.headers['x-tts-quality']) as { flags: string[]; durationRatio: number };
    expect(quality.flags).toEqual([]);
    expect(quality.durationRatio).toBeCloseTo(1, 0);
  });

  it("should list the server's own voices and speak with one", async () => {
    const voices = await request(app.getHttpServer()).get('/v1/audio/voices').set('authorization', AUTH);
    expect(voices.body.data).toContainEqual({ id: 'zf_fake', backend: 'openai', aliases: [] });
    const res = await speak({ voice: 'zf_fake' });
    expect(res.status).toBe(200);
    expect(fake.calls[0].body.voice).toBe('zf_fake');
  });

  it('should flag silent and clipped audio in the quality report', async () => {
    fake.set({ signal: 'silence' });
    const silent = await speak();
    expect(JSON.parse(silent.headers['x-tts-quality']).flags).toContain('silent');
    fake.set({ signal: 'noise', clipping: true });
    const clipped = await speak();
    expect(JSON.parse(clipped.headers['x-tts-quality']).flags).toContain('clipped');
    // The report is exported as metrics too.
    const metrics = (await request(app.getHttpServer()).get('/metrics').set('authorization', ADMIN)).text;
    expect(metrics).toMatch(/tts_quality_flags_total\{backend="openai",flag="silent"\} [1-9]/);
    expect(metrics).toMatch(/tts_quality_flags_total\{backend="openai",flag="clipped"\} [1-9]/);
    expect(metrics).toMatch(/tts_output_clipping_ratio_bucket\{le="0.1",backend="openai"\} \d/);
    expect(metrics).toMatch(/tts_output_silence_ratio_count\{backend="openai"\} [1-9]/);
  });

  it.each([
    ['a wrong sample rate', { sampleRate: 16_000 }, /16000 Hz, expected 24000 Hz/],
    ['a truncated file', { truncateTo: 0.5 }, /truncated/],
    ['bytes that are not audio', { garbage: true }, /does not parse|container unknown/],
    ['stereo', { channels: 2 as const }, /2 channel/],
  ])('should answer 502 TTS.BAD_AUDIO, never the audio, for %s', async (_what, knobs, message) => {
    fake.set(knobs);
    const res = await speak();
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toMatch(/json/);
    const body = JSON.parse((res.body as Buffer).toString()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('TTS.BAD_AUDIO');
    expect(body.error.message).toMatch(message);
  });

  it("should answer 502 with the server's own words when it refuses the request", async () => {
    fake.set({ status: 422 });
    const res = await speak();
    expect(res.status).toBe(502);
    const body = JSON.parse((res.body as Buffer).toString()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'TTS.BAD_AUDIO' });
    expect(body.error.message).toMatch(/answered 422: .*fake failure/);
  });

  it('should give up on a server slower than TTS_TIMEOUT_MS with a 504', async () => {
    fake.set({ delayMs: 3_000 });
    const res = await speak();
    expect(res.status).toBe(504);
    expect(JSON.parse((res.body as Buffer).toString()).error.type).toBe('server_error');
  }, 20_000);

  it('should answer a first chunk that fails over sse as an HTTP error in OpenAI dialect', async () => {
    fake.set({ garbageFor: 'One short' });
    const res = await speak({ input: SENTENCES, response_format: 'pcm', stream_format: 'sse' });
    expect(res.status).toBe(502);
    const body = JSON.parse((res.body as Buffer).toString()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code: 'TTS.BAD_AUDIO', type: 'server_error' });
  });

  it('should end an sse stream whose later chunk fails with an error event carrying both dialects', async () => {
    fake.set({ garbageFor: 'A third sentence' });
    const res = await speak({ input: SENTENCES, response_format: 'pcm', stream_format: 'sse' });
    expect(res.status).toBe(200);
    const events = sseEvents((res.body as Buffer).toString());
    // The first chunk's audio went out before the third chunk failed.
    expect(events[0].data.type).toBe('speech.audio.delta');
    const last = events[events.length - 1];
    expect(last.event).toBe('error');
    expect(last.data).toMatchObject({
      code: 'TTS.BAD_AUDIO',
      status: 502,
      error: { type: 'server_error', code: 'TTS.BAD_AUDIO' },
    });
    expect(events.some((e) => e.data.type === 'speech.audio.done')).toBe(false);
  });

  it('should synthesise the chunks of a long text in parallel on the server', async () => {
    const text =
      'One short sentence here. Another one follows it. A third sentence comes next. And a fourth one ends it.';
    fake.set({ delayMs: 300 });
    const base = await listen(app);
    const res = await rawPost(base, '/v1/audio/speech', {
      model: 'kokoro',
      voice: 'alloy',
      input: text,
      response_format: 'pcm',
    });
    expect(res.status).toBe(200);
    expect(fake.calls.length).toBe(3);
    expect(fake.calls.map((c) => c.body.input).join(' ')).toBe(text);
    // Each call waits 300 ms at the fake, so calls sent in parallel overlap there.
    expect(fake.maxInFlight).toBeGreaterThan(1);
    // 24 kHz s16le, less the two crossfades: the fake speaks 14 characters a second.
    const seconds = Buffer.concat(res.chunks).length / 2 / 24_000;
    const expected = fake.calls.reduce((s, c) => s + speechSeconds(c.body.input as string), 0) - 2 * 0.01;
    expect(seconds).toBeCloseTo(expected, 2);
  });
});

describe('TTS over Piper (fake) (e2e)', () => {
  let fake: FakeSpeechServer;
  let app: NestExpressApplication;

  beforeAll(async () => {
    fake = await FakeSpeechServer.start({ sampleRate: 22_050 });
    app = await createTestApp({
      env: { TTS_PIPER_URLS: fake.url, TTS_ESPEAK_ENABLED: 'false', TTS_SPEECH_PER_MINUTE: '10000' },
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  it("should post the text as Piper's body and serve its WAV for any OpenAI voice", async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/audio/speech')
      .set('authorization', AUTH)
      .send({ model: 'tts-1', voice: 'shimmer', input: 'Piper speaks.', response_format: 'wav' });
    expect(res.status).toBe(200);
    expect(res.headers['x-tts-backend']).toBe('piper');
    expect(res.headers['x-tts-voice']).toBe('en_US-lessac-medium');
    expect(fake.calls).toEqual([{ path: '/', body: { text: 'Piper speaks.' } }]);
  });

  it('should refuse a speed the Piper server cannot give', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/audio/speech')
      .set('authorization', AUTH)
      .send({ model: 'piper', voice: 'alloy', input: 'Fast.', speed: 2 });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'TTS.OPTION_UNSUPPORTED', param: 'speed' });
  });
});

describe('TTS without any backend (e2e)', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp({ env: { TTS_ESPEAK_ENABLED: 'false', TTS_SPEECH_PER_MINUTE: '2' } });
  });
  afterAll(() => app.close());

  it('should limit speech per caller and route to TTS_SPEECH_PER_MINUTE, each route in its own dialect', async () => {
    // Throttling runs before the service's availability: a third request is 429 even though speech is down.
    const operator = bearer(TEST_AUTH.operator);
    const speech = () =>
      request(app.getHttpServer())
        .post('/v1/audio/speech')
        .set('authorization', operator)
        .send({ model: 'tts-1', voice: 'alloy', input: 'Again.' });
    expect((await speech()).status).toBe(503);
    expect((await speech()).status).toBe(503);
    const limited = await speech();
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ type: 'rate_limit_error' });
    const native = () =>
      request(app.getHttpServer())
        .post('/v1/tts')
        .set('authorization', operator)
        .send({ text: 'Again.', voice: 'alloy' });
    expect((await native()).status).toBe(503);
    expect((await native()).status).toBe(503);
    const limitedNative = await native();
    expect(limitedNative.status).toBe(429);
    expect(limitedNative.headers['content-type']).toMatch(/problem\+json/);
  });

  it('should run DOWN with the reason, answer 503, and leave the rest of the app working', async () => {
    const svc = await request(app.getHttpServer()).get('/services/tts').set('authorization', ADMIN);
    expect(svc.body).toMatchObject({ state: 'RUNNING', health: { status: 'DOWN' } });
    expect(svc.body.health.reason).toMatch(
      /no speech backend: no openai server configured; no piper server configured; espeak-ng is disabled/,
    );
    const speech = await request(app.getHttpServer())
      .post('/v1/audio/speech')
      .set('authorization', AUTH)
      .send({ model: 'tts-1', voice: 'alloy', input: 'Anyone?' });
    expect(speech.status).toBe(503);
    expect(speech.body.error).toMatchObject({ code: 'TTS.UNAVAILABLE', type: 'server_error' });
    const summary = await request(app.getHttpServer())
      .post('/v1/summaries')
      .set('authorization', AUTH)
      .send({ text: 'Foxes are small. They live in many places. They eat many things.' });
    expect(summary.status).toBe(200);
  });
});

describeEngine('TTS without ffmpeg (e2e)', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp({ env: { TTS_FFMPEG_ENABLED: 'false' } });
  });
  afterAll(() => app.close());

  it('should refuse mp3 with a 400 listing the formats it can produce, and answer wav by default', async () => {
    const mp3 = await request(app.getHttpServer())
      .post('/v1/audio/speech')
      .set('authorization', AUTH)
      .send({ model: 'tts-1', voice: 'alloy', input: 'No encoder here.', response_format: 'mp3' });
    expect(mp3.status).toBe(400);
    expect(mp3.body.error).toMatchObject({ code: 'TTS.FORMAT_UNAVAILABLE', param: 'response_format' });
    expect(mp3.body.error.message).toMatch(/it can produce: wav, pcm/);
    const plain = await request(app.getHttpServer())
      .post('/v1/audio/speech')
      .set('authorization', AUTH)
      .send({ model: 'tts-1', voice: 'alloy', input: 'No encoder here.' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-type']).toBe('audio/wav');
  });
});
