import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import sharp from 'sharp';
import request from 'supertest';
import { FakeA1111 } from './fixtures/fake-a1111';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

const SECRET = 'an-hmac-key-of-at-least-32-characters!';

describe('OpenAI-compatible POST /v1/images/generations on the diffusion gateway (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeA1111;
  let dataDir: string;
  let base: string;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await FakeA1111.start({ stepMs: 1 });
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-images-generations-e2e-'));
    app = await createTestApp({
      env: {
        DATA_DIR: dataDir,
        DIFFUSION_URLS: fake.url,
        DIFFUSION_PROGRESS_INTERVAL_MS: '50',
        IMAGES_SIGNED_URL_SECRET: SECRET,
        IMAGES_SIGNED_URL_TTL_SECONDS: '2',
      },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    openai = new OpenAI({ apiKey: TEST_AUTH.viewer.key, baseURL: `${base}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should answer images.generate with b64_json images in the asked-for size, quality mapped to steps', async () => {
    const res = await openai.images.generate({
      model: 'dall-e-2',
      prompt: 'a watercolour fox',
      n: 2,
      size: '256x256',
      quality: 'low',
      response_format: 'b64_json',
    });
    expect(res.data).toHaveLength(2);
    const metas = await Promise.all(res.data!.map((d) => sharp(Buffer.from(d.b64_json!, 'base64')).metadata()));
    for (const m of metas) expect(m).toMatchObject({ format: 'png', width: 256, height: 256 });
    expect(res.data![0].b64_json).not.toBe(res.data![1].b64_json);
    const ran = fake.generations.at(-1)!;
    expect(ran).toMatchObject({ prompt: 'a watercolour fox', steps: 12 });
    expect(ran.seeds).toHaveLength(2);
  });

  it('should convert to output_format and honour a checkpoint named as the model', async () => {
    const res = await openai.images.generate({
      model: 'dreamshaper_8',
      prompt: 'a lighthouse',
      size: '128x128',
      output_format: 'webp',
      response_format: 'b64_json',
    });
    const meta = await sharp(Buffer.from(res.data![0].b64_json!, 'base64')).metadata();
    expect(meta.format).toBe('webp');
    expect(fake.generations.at(-1)!.model).toMatch(/^dreamshaper_8/);
  });

  it('should answer url with a signed URL of the image store that works without credentials, then expires', async () => {
    const res = await openai.images.generate({ prompt: 'a red kite', size: '64x64', response_format: 'url' });
    const url = res.data![0].url!;
    expect(url.startsWith(`${base}/v1/images/signed/`)).toBe(true);
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await got.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ width: 64, height: 64 });

    // A tampered signature: 403.
    const token = url.slice(url.lastIndexOf('/') + 1);
    const [body, mac] = token.split('.');
    const forged = `${body}.${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    const bad = await fetch(`${base}/v1/images/signed/${forged}`);
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { code: string }).code).toBe('IMAGES.SIGNED_URL_INVALID');

    // The TTL is 2 s here: poll until the URL stops working.
    const expired = await eventually(
      async () => {
        const r = await fetch(url);
        if (r.status === 200) await r.arrayBuffer();
        return r.status === 200 ? undefined : r;
      },
      { timeoutMs: 6_000, what: 'the signed URL to expire' },
    );
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { code: string }).code).toBe('IMAGES.SIGNED_URL_EXPIRED');
  });

  it('should answer bad requests in OpenAI’s error dialect', async () => {
    const err = await openai.images.generate({ prompt: 'x', size: '100x100' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({ type: 'invalid_request_error', param: 'width' });

    const raw = await request(app.getHttpServer())
      .post('/v1/images/generations')
      .set('authorization', bearer(TEST_AUTH.viewer))
      .send({ prompt: '', n: 20 })
      .expect(400);
    expect(raw.body.error).toMatchObject({ type: 'invalid_request_error', param: 'prompt' });
    const unknownModel = await request(app.getHttpServer())
      .post('/v1/images/generations')
      .set('authorization', bearer(TEST_AUTH.viewer))
      .send({ prompt: 'x', model: 'no-such-checkpoint' })
      .expect(400);
    expect(unknownModel.body.error.message).toMatch(/unknown model/);
    const unauth = await request(app.getHttpServer()).post('/v1/images/generations').send({ prompt: 'x' }).expect(401);
    expect(unauth.body.error).toMatchObject({ type: 'authentication_error' });
  });
});

describe('The diffusion routes without an upstream (e2e)', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp({ env: { DIFFUSION_URLS: '' } });
  });
  afterAll(() => app.close());

  it('should answer 503 on its routes, in each surface’s dialect, while the rest of the app works', async () => {
    const auth = bearer(TEST_AUTH.viewer);
    const native = await request(app.getHttpServer())
      .post('/v1/diffusion/jobs')
      .set('authorization', auth)
      .send({ prompt: 'x' })
      .expect(503);
    expect(native.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(native.headers['retry-after']).toBeDefined();
    expect(native.body).toMatchObject({ status: 503, code: 'DIFFUSION.UNAVAILABLE' });
    expect(native.body.detail).toMatch(/DIFFUSION_URLS/);
    await request(app.getHttpServer()).get('/v1/diffusion/models').set('authorization', auth).expect(503);
    const compat = await request(app.getHttpServer())
      .post('/v1/images/generations')
      .set('authorization', auth)
      .send({ prompt: 'x' })
      .expect(503);
    expect(compat.body.error).toMatchObject({ type: 'server_error' });
    expect(compat.body.error.message).toMatch(/DIFFUSION_URLS/);
    const services = await request(app.getHttpServer())
      .get('/services/diffusion')
      .set('authorization', bearer(TEST_AUTH.operator))
      .expect(200);
    expect(services.body.state).toBe('RUNNING');
    expect(services.body.health).toMatchObject({
      status: 'DOWN',
      reason: 'no diffusion instance configured (DIFFUSION_URLS)',
    });
    await request(app.getHttpServer()).get('/v1/images').set('authorization', auth).expect(200);
  });
});
