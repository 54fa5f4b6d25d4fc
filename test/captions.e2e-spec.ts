import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import sharp from 'sharp';
import { extract } from 'tar-stream';
import * as img from '../src/services/images/test-images.testing';
import { FakeOllama } from './fixtures/fake-ollama';
import { freePort } from './llm/tcp-forwarder';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { TEST_KEYS, type TestKey } from './support/test-credentials';

const acme = TEST_KEYS.acme.operator;
const acmeAdmin = TEST_KEYS.acme.admin;
const globex = TEST_KEYS.globex.operator;

interface Check {
  name: string;
  passed: boolean;
  measured?: string | number;
}
interface Caption {
  imageId: string;
  caption: string;
  style: string;
  model: string;
  score: number;
  flagged: boolean;
  attempts: number;
  checks: Check[];
  tags?: string[];
}

const failedChecks = (c: Caption) => c.checks.filter((x) => !x.passed).map((x) => x.name);

function http(base: () => string) {
  const call = (key: TestKey, method: string, path: string, body?: unknown) =>
    fetch(base() + path, {
      method,
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const upload = async (images: Buffer[], key = acme): Promise<string[]> => {
    const res = await call(key, 'POST', '/v1/images', {
      images: images.map((b, i) => ({ data: b.toString('base64'), filename: `pic-${i}` })),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { items: { image: { id: string } }[] }).items.map((i) => i.image.id);
  };
  return { call, upload };
}

describe('Captions (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeOllama;
  let base = '';
  let dataDir: string;
  const clients: SseTestClient[] = [];
  const { call, upload } = http(() => base);
  const caption = async (id: string, body: object = {}, key = acme) => {
    const res = await call(key, 'POST', `/v1/images/${id}/captions`, body);
    return { status: res.status, body: (await res.json()) as Caption & { code?: string; detail?: string } };
  };
  /** The image the fake received last, decoded. */
  const lastSentImage = async () => {
    const chat = fake.requests.filter((r) => r.path === '/api/chat').at(-1)!;
    const b64 = (chat.body as { messages: { images?: string[] }[] }).messages[0].images![0];
    return {
      b64,
      meta: await sharp(Buffer.from(b64, 'base64')).metadata(),
      body: chat.body as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    fake = await FakeOllama.start();
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-captions-e2e-'));
    app = await createTestApp({
      env: {
        OLLAMA_URLS: fake.url,
        DATA_DIR: dataDir,
        CAPTIONS_MAX_IMAGE_SIDE: '512',
        CAPTIONS_CONCURRENCY_PER_MODEL: '2',
        HTTP_BODY_LIMIT: '16mb',
        IMAGES_MAX_FILES_PER_REQUEST: '10',
      },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    fake.set({ visionRefusals: 0, visionLoops: 0, visionDelayMs: 0 });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should caption an image through the vision model, store it with its checks, and find it by caption text', async () => {
    const [id] = await upload([await img.png(320, 240, 0)]);
    const { status, body } = await caption(id);
    expect(status).toBe(200);
    expect(body).toMatchObject({ imageId: id, style: 'descriptive', model: 'llava:7b', flagged: false, attempts: 1 });
    expect(body.caption).toMatch(/^A .* wide picture, 320 by 240 pixels, dominated by \w+ tones/);
    expect(body.score).toBe(1);
    expect(body.checks.map((c) => c.name)).toEqual(['length', 'refusal', 'boilerplate', 'repetition']);
    // Ollama's wire format: base64 (no data: prefix) on the message, a JPEG.
    const sent = await lastSentImage();
    expect(sent.b64).not.toMatch(/^data:/);
    expect(sent.meta.format).toBe('jpeg');
    expect(sent.body).toMatchObject({ model: 'llava:7b', stream: false });

    const record = (await (await call(acme, 'GET', `/v1/images/${id}`)).json()) as Record<string, unknown>;
    expect(record).toMatchObject({
      caption: body.caption,
      captionInfo: { score: 1, flagged: false, model: 'llava:7b' },
    });
    const word = body.caption.split(' ').at(-6)!;
    const listed = (await (await call(acme, 'GET', `/v1/images?caption=${encodeURIComponent(word)}`)).json()) as {
      items: { id: string }[];
    };
    expect(listed.items.map((i) => i.id)).toContain(id);
  });

  it('should convert formats vision models cannot read and downsize large images before sending', async () => {
    const [webp] = await upload([await img.webp(300, 200, 1)]);
    const webpCaption = await caption(webp, { style: 'short' });
    expect(webpCaption.status).toBe(200);
    expect((await lastSentImage()).meta.format).toBe('jpeg');
    // The fake (like Ollama's runners) refuses WebP itself, so the conversion is what made it work.
    const direct = await fetch(`${fake.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'llava:7b',
        stream: false,
        messages: [{ role: 'user', content: 'x', images: [(await img.webp(30, 20)).toString('base64')] }],
      }),
    });
    expect(direct.status).toBe(500);

    const [big] = await upload([await img.jpeg(2000, 1500, 2)]);
    const bigCaption = await caption(big);
    expect(bigCaption.status).toBe(200);
    const sent = (await lastSentImage()).meta;
    expect([sent.width, sent.height]).toEqual([512, 384]);
    expect(bigCaption.body.caption).toContain('512 by 384 pixels');
  });

  it('should ask for tags with a JSON schema and normalise them', async () => {
    const [id] = await upload([await img.png(400, 200, 3)]);
    const { status, body } = await caption(id, { style: 'tags' });
    expect(status).toBe(200);
    const sent = await lastSentImage();
    expect(sent.body.format).toMatchObject({ type: 'object', properties: { tags: { type: 'array' } } });
    // The fake answers "Landscape_Orientation", "Simple Shapes" and a duplicate: normalised.
    expect(body.tags).toEqual([
      expect.stringMatching(/ tones$/),
      'landscape orientation',
      'gradient',
      expect.any(String),
      'simple shapes',
    ]);
    expect(body.caption).toBe(body.tags!.join(', '));
    expect(body.flagged).toBe(false);
  });

  it('should retry a refusal once with a stricter prompt and keep the passing answer', async () => {
    const [id] = await upload([await img.png(300, 300, 4)]);
    fake.set({ visionRefusals: 1 });
    const before = fake.requests.length;
    const { body } = await caption(id);
    expect(body).toMatchObject({ attempts: 2, flagged: false, score: 1 });
    const prompts = fake.requests
      .slice(before)
      .filter((r) => r.path === '/api/chat')
      .map((r) => (r.body as { messages: { content: string }[] }).messages[0].content);
    expect(prompts).toHaveLength(2);
    expect(prompts[1]).toContain('failed these checks: refusal');
  });

  it('should return a caption that still fails after the retry flagged, with the failing checks and a lower score', async () => {
    const [id] = await upload([await img.png(310, 300, 5)]);
    fake.set({ visionLoops: 2 });
    const { status, body } = await caption(id);
    expect(status).toBe(200);
    expect(body).toMatchObject({ attempts: 2, flagged: true });
    expect(failedChecks(body)).toContain('repetition');
    expect(body.score).toBeLessThan(1);
    const record = (await (await call(acme, 'GET', `/v1/images/${id}`)).json()) as { captionInfo: Caption };
    expect(record.captionInfo).toMatchObject({ flagged: true, attempts: 2 });
  });

  it('should check the language asked for', async () => {
    const [id] = await upload([await img.png(330, 240, 6)]);
    const fr = await caption(id, { language: 'fr' });
    expect(fr.body.caption).toMatch(/^Une image/);
    expect(fr.body.checks.find((c) => c.name === 'language')).toMatchObject({ passed: true, measured: 'fr' });
    // The fake writes only English and French: German is measured as not German, retried, flagged.
    const de = await caption(id, { language: 'de' });
    expect(de.body).toMatchObject({ flagged: true, attempts: 2 });
    expect(de.body.checks.find((c) => c.name === 'language')).toMatchObject({ passed: false, measured: 'en' });
  });

  it('should refuse bad requests with clear problems', async () => {
    const [id] = await upload([await img.png(200, 100, 7)]);
    const cases: [Promise<{ status: number; body: { code?: string } }>, number, string][] = [
      [caption(id, { style: 'custom' }), 400, 'VALIDATION.FAILED'],
      [caption(id, { style: 'short', prompt: 'x' }), 400, 'VALIDATION.FAILED'],
      [caption(id, { style: 'poem' }), 400, 'VALIDATION.FAILED'],
      [caption(id, { language: 'english' }), 400, 'VALIDATION.FAILED'],
      [caption(id, { maxWords: 0 }), 400, 'VALIDATION.FAILED'],
      [caption('00000000-0000-4000-8000-000000000000'), 404, 'IMAGES.NOT_FOUND'],
      [caption(id, {}, globex), 404, 'IMAGES.NOT_FOUND'],
    ];
    for (const [pending, status, code] of cases) {
      const { status: got, body } = await pending;
      expect([got, body.code]).toEqual([status, code]);
    }
    const patch = await fetch(`${base}/config/captions`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${acmeAdmin.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['llava:7b', 'moondream'] }),
    });
    expect(patch.status).toBe(200);
    try {
      const notAllowed = await caption(id, { model: 'llama3.2-vision:11b' });
      expect([notAllowed.status, notAllowed.body.code]).toEqual([400, 'CAPTIONS.MODEL_NOT_ALLOWED']);
    } finally {
      await fetch(`${base}/config/captions`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${acmeAdmin.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ models: [] }),
      });
    }
  });

  it('should caption a batch as a job with bounded concurrency per model and a progress event per image', async () => {
    const ids = await upload(await Promise.all([0, 1, 2, 3, 4].map((i) => img.png(200 + i, 150, i))), globex);
    fake.set({ visionDelayMs: 150 });
    fake.maxVisionInFlight = 0;
    const res = await call(globex, 'POST', '/v1/captions/batch', { ids, style: 'short' });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string };
    const events = new SseTestClient(`${base}/jobs/${job.id}/events`, ['state', 'progress'], {
      authorization: `Bearer ${globex.key}`,
    });
    clients.push(events);
    await events.until(() => events.of('done').length + events.of('error').length > 0, 30_000);
    const perImage = events.of('progress').filter((e) => (e.data as { stage: string }).stage !== 'started');
    expect(perImage.map((e) => (e.data as { value: number }).value)).toEqual([1, 2, 3, 4, 5]);
    const done = events.of('done')[0].data as { result: { captioned: number; items: { id: string; score: number }[] } };
    expect(done.result.captioned).toBe(5);
    expect(fake.maxVisionInFlight).toBe(2);
    for (const item of done.result.items) {
      const record = (await (await call(globex, 'GET', `/v1/images/${item.id}`)).json()) as {
        caption: string | null;
        captionInfo: { score: number; style: string };
      };
      expect(record.caption).toMatch(/pixels/);
      expect(record.captionInfo).toMatchObject({ score: item.score, style: 'short' });
    }
    // By filter, skipping what has a caption: nothing left to do.
    fake.set({ visionDelayMs: 0 });
    const again = await call(globex, 'POST', '/v1/captions/batch', {
      filter: { source: 'upload' },
      skipCaptioned: true,
    });
    const againJob = (await again.json()) as { id: string };
    const finished = await eventually(async () => {
      const j = (await (await call(globex, 'GET', `/jobs/${againJob.id}`)).json()) as {
        state: string;
        result?: { skipped: number; captioned: number };
      };
      return j.state === 'succeeded' ? j : undefined;
    });
    expect(finished.result).toMatchObject({ skipped: 5, captioned: 0 });
    const bad = await call(globex, 'POST', '/v1/captions/batch', { ids, filter: { source: 'upload' } });
    expect(bad.status).toBe(400);
  });

  it('should cancel a batch and close the in-flight model requests', async () => {
    const ids = await upload(await Promise.all([0, 1, 2].map((i) => img.jpeg(260 + i, 200, i))));
    fake.set({ visionDelayMs: 60_000 });
    const aborted = fake.abortedVisionRequests;
    const res = await call(acme, 'POST', '/v1/captions/batch', { ids });
    const job = (await res.json()) as { id: string };
    await eventually(() => fake.visionInFlight === 2, { timeoutMs: 10_000, what: 'two captions in flight' });
    expect((await call(acme, 'DELETE', `/jobs/${job.id}`)).status).toBe(202);
    await eventually(
      async () =>
        ((await (await call(acme, 'GET', `/jobs/${job.id}`)).json()) as { state: string }).state === 'cancelled',
      {
        timeoutMs: 10_000,
        what: 'job cancelled',
      },
    );
    await eventually(() => fake.abortedVisionRequests - aborted === 2, { what: 'upstream requests closed' });
    expect(fake.visionInFlight).toBe(0);
  });

  it('should export captions as JSON lines and as a tar with a .txt beside each image', async () => {
    const jsonl = await call(acme, 'GET', '/v1/captions/export?format=jsonl');
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await jsonl.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; caption: string; file: string; flagged: boolean; score: number });
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.every((l) => typeof l.caption === 'string' && l.caption.length > 0)).toBe(true);
    const unflagged = (await (await call(acme, 'GET', '/v1/captions/export?includeFlagged=false')).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { flagged: boolean });
    expect(unflagged.length).toBeLessThan(lines.length);
    expect(unflagged.every((l) => !l.flagged)).toBe(true);

    const tar = await call(acme, 'GET', '/v1/captions/export?format=txt-per-image');
    expect(tar.headers.get('content-type')).toBe('application/x-tar');
    const entries = new Map<string, Buffer>();
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        entries.set(header.name, Buffer.concat(chunks));
        next();
      });
    });
    const finished = new Promise<void>((resolve, reject) => ex.on('finish', () => resolve()).on('error', reject));
    const tarBytes = Buffer.from(await tar.arrayBuffer());
    Readable.from(tarBytes).pipe(ex);
    await finished;
    for (const line of lines) {
      expect(entries.get(`${line.id}.txt`)?.toString('utf8')).toBe(`${line.caption}\n`);
      const bytes = entries.get(line.file)!;
      const original = Buffer.from(await (await call(acme, 'GET', `/v1/images/${line.id}/content`)).arrayBuffer());
      expect(bytes.equals(original)).toBe(true);
    }
    const textOnly = await call(acme, 'GET', '/v1/captions/export?format=txt-per-image&includeImages=false');
    expect((await textOnly.arrayBuffer()).byteLength).toBeLessThan(tarBytes.length / 4);
    expect((await call(acme, 'GET', '/v1/captions/export?format=zip')).status).toBe(400);
  });
});

describe('Captions without the LLM gateway (e2e)', () => {
  let app: NestExpressApplication;
  let base = '';
  let dataDir: string;
  const { call, upload } = http(() => base);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-captions-nollm-e2e-'));
    app = await createTestApp({ env: { OLLAMA_URLS: `http://127.0.0.1:${await freePort()}`, DATA_DIR: dataDir } });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should answer 503 on caption routes while images keep working', async () => {
    const [id] = await upload([await img.png(64, 48)]);
    expect((await call(acme, 'GET', `/v1/images/${id}/content?w=32&format=webp`)).status).toBe(200);
    const res = await call(acme, 'POST', `/v1/images/${id}/captions`, {});
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(await res.json()).toMatchObject({ code: 'LLM.UNAVAILABLE' });
    const batch = await call(acme, 'POST', '/v1/captions/batch', { ids: [id] });
    expect(batch.status).toBe(503);
    const svc = (await (await call(acmeAdmin, 'GET', '/services/captions')).json()) as {
      health: { status: string };
    };
    expect(svc.health.status).toBe('DEGRADED');
    expect((await call(acme, 'GET', '/v1/captions/export')).status).toBe(200);
  });
});
