import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import sharp from 'sharp';
import request from 'supertest';
import { FakeComfyServer } from './fixtures/fake-comfyui';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

describe('OpenAI-compatible POST /v1/images/generations on a ComfyUI template (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeComfyServer;
  let dataDir: string;
  let base: string;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await new FakeComfyServer({ stepDelayMs: 1 }).start();
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-images-generations-comfy-e2e-'));
    app = await createTestApp({
      env: {
        DATA_DIR: dataDir,
        // No AUTOMATIC1111 instance at all: every request below is served by ComfyUI.
        DIFFUSION_URLS: '',
        COMFY_URLS: fake.url,
        IMAGES_GENERATIONS_COMFY_MODELS: 'comfy-sd15=text2img',
        IMAGES_SIGNED_URL_SECRET: 'an-hmac-key-of-at-least-32-characters!',
      },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    openai = new OpenAI({ apiKey: TEST_AUTH.viewer.key, baseURL: `${base}/v1`, maxRetries: 0 });
    await eventually(() => fake.connectedClients().length === 1, { what: 'Fennec connected to the fake WebSocket' });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The graph ComfyUI last ran. */
  const lastGraph = (): Graph => {
    const entries = [...fake.history.values()];
    return (entries.at(-1)!.prompt as unknown[])[2] as Graph;
  };

  it('should answer images.generate with b64_json: size, n (batch) and quality reach the template', async () => {
    const before = fake.calls.prompts;
    const res = await openai.images.generate({
      model: 'comfy-sd15',
      prompt: 'a watercolour fox',
      n: 2,
      size: '64x48',
      quality: 'low',
      response_format: 'b64_json',
    });
    expect(res.size).toBe('64x48');
    expect(res.data).toHaveLength(2);
    const metas = await Promise.all(res.data!.map((d) => sharp(Buffer.from(d.b64_json!, 'base64')).metadata()));
    for (const m of metas) expect(m).toMatchObject({ format: 'png', width: 64, height: 48 });
    expect(res.data![0].b64_json).not.toBe(res.data![1].b64_json);
    expect(fake.calls.prompts).toBe(before + 1);
    const graph = lastGraph();
    expect(graph['6'].inputs.text).toBe('a watercolour fox');
    expect(graph['5'].inputs).toMatchObject({ width: 64, height: 48, batch_size: 2 });
    expect(graph['3'].inputs.steps).toBe(12); // the qualitySteps setting's "low"
    const listed = await request(app.getHttpServer())
      .get('/jobs?kind=comfy.workflow')
      .set('authorization', bearer(TEST_AUTH.viewer))
      .expect(200);
    const jobs = listed.body.items as { kind: string; state: string; result?: { images: { id: string }[] } }[];
    expect(jobs[0]).toMatchObject({ kind: 'comfy.workflow', state: 'succeeded' });
    const stored = await request(app.getHttpServer())
      .get(`/v1/images/${jobs[0].result!.images[0].id}`)
      .set('authorization', bearer(TEST_AUTH.viewer))
      .expect(200);
    expect(stored.body).toMatchObject({ source: 'comfy', width: 64, height: 48 });
  });

  it('should answer url with a signed image-store URL that works without credentials', async () => {
    const res = await openai.images.generate({
      model: 'comfy-sd15',
      prompt: 'a red kite',
      size: '32x32',
      response_format: 'url',
      output_format: 'webp',
    });
    const url = res.data![0].url!;
    expect(url.startsWith(`${base}/v1/images/signed/`)).toBe(true);
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await got.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 32, height: 32 });
  });

  it('should answer a template parameter out of range in OpenAI’s dialect, and other models with the diffusion 503', async () => {
    const err = await openai.images
      .generate({ model: 'comfy-sd15', prompt: 'x', size: '9000x64' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({
      type: 'invalid_request_error',
    });
    const other = await openai.images.generate({ model: 'dall-e-2', prompt: 'x' }).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(OpenAI.InternalServerError);
    expect((other as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(503);
  });

  it('should cancel the job, interrupting ComfyUI, when the client goes away', async () => {
    fake.options.stepDelayMs = 100;
    const abort = new AbortController();
    const pending = openai.images
      .generate({ model: 'comfy-sd15', prompt: 'a slow one', size: '32x32', quality: 'hd' }, { signal: abort.signal })
      .catch((e: unknown) => e);
    const running = await eventually(
      async () => {
        const res = await request(app.getHttpServer())
          .get('/jobs?kind=comfy.workflow&state=running')
          .set('authorization', bearer(TEST_AUTH.viewer));
        return (res.body.items as { id: string }[])[0];
      },
      { what: 'the comfy job running' },
    );
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    const cancelled = await eventually(
      async () => {
        const res = await request(app.getHttpServer())
          .get(`/jobs/${running.id}`)
          .set('authorization', bearer(TEST_AUTH.viewer));
        return res.body.state === 'cancelled' ? (res.body as { state: string }) : undefined;
      },
      { what: 'the job cancelled' },
    );
    expect(cancelled.state).toBe('cancelled');
    await eventually(() => fake.calls.interrupts.length > 0, { what: 'ComfyUI interrupted' });
    fake.options.stepDelayMs = 1;
  });
});
