import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { IMAGE_STORE, type ImageStore } from '../src/services/images';
import * as img from '../src/services/images/test-images.testing';
import { eventually } from './support/eventually';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_KEYS } from './support/test-credentials';

const ACME = bearer(TEST_KEYS.acme.viewer);
const GLOBEX = bearer(TEST_KEYS.globex.viewer);
const ADMIN = bearer(TEST_KEYS.acme.admin);

interface IngestItem {
  image: { id: string; sha256: string; format: string; originalFormat: string; width: number; height: number };
  created: boolean;
  duplicateOf?: string;
  nearDuplicates: { id: string; distance: number }[];
}

/** Collects a binary body as a Buffer. */
const binary = (res: request.Response, done: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  (res as unknown as NodeJS.ReadableStream).on('data', (c: Buffer) => chunks.push(c));
  (res as unknown as NodeJS.ReadableStream).on('end', () => done(null, Buffer.concat(chunks)));
};

describe('Images (e2e)', () => {
  let app: NestExpressApplication;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-images-e2e-'));
    app = await createTestApp({
      env: {
        DATA_DIR: dataDir,
        IMAGES_MAX_BYTES: String(2 * 1024 * 1024),
        IMAGES_MAX_PIXELS: String(20_000_000),
        IMAGES_MAX_FRAMES: '8',
        IMAGES_MAX_FILES_PER_REQUEST: '3',
        IMAGES_VARIANT_SIZES: '64,128,256',
        HTTP_BODY_LIMIT: '4mb',
      },
    });
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const server = () => app.getHttpServer();
  const upload = (files: { bytes: Buffer; name: string }[], auth = ACME, fields: Record<string, string> = {}) => {
    let r = request(server()).post('/v1/images').set('authorization', auth);
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v);
    for (const f of files) r = r.attach('file', f.bytes, f.name);
    return r;
  };
  const uploadOne = async (bytes: Buffer, name = 'image.bin', auth = ACME) => {
    const res = await upload([{ bytes, name }], auth);
    expect([res.status, res.body]).toEqual([expect.any(Number), expect.objectContaining({ items: expect.any(Array) })]);
    return { status: res.status, item: (res.body as { items: IngestItem[] }).items[0] };
  };

  describe('ingest', () => {
    it('should store a multipart upload, detect the format from the bytes, and answer its metadata', async () => {
      const { status, item } = await uploadOne(await img.png(300, 200), 'holiday.jpg');
      expect(status).toBe(201);
      expect(item).toMatchObject({ created: true, image: { format: 'png', width: 300, height: 200 } });
      const meta = await request(server()).get(`/v1/images/${item.image.id}`).set('authorization', ACME);
      expect(meta.status).toBe(200);
      expect(meta.body).toMatchObject({
        id: item.image.id,
        format: 'png',
        source: 'upload',
        filename: 'holiday.jpg',
        caption: null,
      });
      expect(meta.body).not.toHaveProperty('tenant');
    });

    it('should store JSON uploads given as base64 and as data URIs', async () => {
      const a = await img.jpeg(120, 90, 2);
      const b = await img.webp(100, 100, 3);
      const res = await request(server())
        .post('/v1/images')
        .set('authorization', ACME)
        .send({
          images: [
            { data: a.toString('base64') },
            { data: `data:image/png;base64,${b.toString('base64')}`, filename: 'b.webp' },
          ],
        });
      expect(res.status).toBe(201);
      expect((res.body as { items: IngestItem[] }).items.map((i) => i.image.format)).toEqual(['jpeg', 'webp']);
    });

    it('should answer an exact duplicate with 200 and duplicateOf, per tenant', async () => {
      const bytes = await img.jpeg(200, 150, 4);
      const first = await uploadOne(bytes);
      const again = await uploadOne(bytes, 'again.jpg');
      expect(again.status).toBe(200);
      expect(again.item).toMatchObject({
        created: false,
        duplicateOf: first.item.image.id,
        image: { id: first.item.image.id },
      });
      const otherTenant = await uploadOne(bytes, 'x.jpg', GLOBEX);
      expect(otherTenant.status).toBe(201);
      expect(otherTenant.item.image.id).not.toBe(first.item.image.id);
    });

    it('should report near-duplicates with distances on ingest and from /similar', async () => {
      const original = await uploadOne(await img.jpeg(640, 480, 5, 92));
      const resized = await uploadOne(await img.png(320, 240, 5));
      expect(resized.item.created).toBe(true);
      const near = resized.item.nearDuplicates.find((n) => n.id === original.item.image.id);
      expect(near?.distance).toBeLessThanOrEqual(10);
      const similar = await request(server())
        .get(`/v1/images/${original.item.image.id}/similar`)
        .set('authorization', ACME);
      expect(similar.status).toBe(200);
      const hit = (similar.body as { items: { image: { id: string }; distance: number }[] }).items.find(
        (h) => h.image.id === resized.item.image.id,
      );
      expect(hit?.distance).toBe(near?.distance);
      const strict = await request(server())
        .get(`/v1/images/${original.item.image.id}/similar?maxDistance=0&limit=5`)
        .set('authorization', ACME);
      expect((strict.body as { maxDistance: number }).maxDistance).toBe(0);
    });

    it('should strip EXIF/GPS on request, with the orientation applied', async () => {
      const exif = await img.jpegWithExif(320, 240);
      const res = await upload([{ bytes: exif, name: 'gps.jpg' }], ACME, { stripMetadata: 'true' });
      expect(res.status).toBe(201);
      const item = (res.body as { items: IngestItem[] }).items[0];
      expect(item.image).toMatchObject({ width: 240, height: 320, orientation: 6, metadataStripped: true });
      const content = await request(server())
        .get(`/v1/images/${item.image.id}/content`)
        .set('authorization', ACME)
        .buffer(true)
        .parse(binary);
      const meta = await sharp(content.body as Buffer).metadata();
      expect([meta.exif, meta.width, meta.height]).toEqual([undefined, 240, 320]);
    });

    it('should rasterise an SVG and convert a BMP to PNG', async () => {
      const svg = await uploadOne(img.svgSelfContained(), 'drawing.svg');
      expect(svg.item.image).toMatchObject({ format: 'png', originalFormat: 'svg', width: 80, height: 40 });
      const bmp = await uploadOne(await img.bmp(40, 30), 'old.bmp');
      expect(bmp.item.image).toMatchObject({ format: 'png', originalFormat: 'bmp', width: 40, height: 30 });
    });
  });

  describe('refusals', () => {
    const refused = async (bytes: Buffer, status: number, code: string, detail?: string) => {
      const res = await upload([{ bytes, name: 'x.png' }]);
      expect([res.status, res.type, (res.body as { code: string }).code]).toEqual([
        status,
        'application/problem+json',
        code,
      ]);
      if (detail) expect((res.body as { detail: string }).detail).toContain(detail);
      return res;
    };

    it('should refuse a 50,000 × 50,000 PNG bomb of a few KB from its header, quickly', async () => {
      const bomb = img.pngBomb();
      expect(bomb.length).toBeLessThan(200_000);
      const started = Date.now();
      await refused(bomb, 413, 'IMAGES.TOO_MANY_PIXELS', '50,000 × 50,000');
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('should refuse truncated, corrupt and non-image bytes with a 400 naming the cause', async () => {
      const jpeg = await img.jpeg(400, 300, 6);
      await refused(jpeg.subarray(0, jpeg.length >> 1), 400, 'IMAGES.CORRUPT', 'truncated or corrupt');
      await refused(Buffer.from('<html><body>not an image</body></html>'), 400, 'IMAGES.UNSUPPORTED_FORMAT');
      await refused(img.zipArchive(), 400, 'IMAGES.UNSUPPORTED_FORMAT', 'application/zip');
    });

    it('should refuse a polyglot (an image with a zip appended)', async () => {
      await refused(Buffer.concat([await img.png(50, 50, 7), img.zipArchive()]), 400, 'IMAGES.POLYGLOT', 'IEND');
    });

    it('should refuse an SVG with an external href', async () => {
      await refused(
        img.svgWithExternalHref('https://attacker.example/x.png'),
        400,
        'IMAGES.EXTERNAL_REFERENCE',
        'xlink:href',
      );
    });

    it('should refuse too many bytes, frames and files, and store nothing of a refused request', async () => {
      await refused(Buffer.concat([await img.png(10, 10), Buffer.alloc(3 * 1024 * 1024)]), 413, 'IMAGES.TOO_LARGE');
      await refused(await img.animatedGif(9), 413, 'IMAGES.TOO_MANY_FRAMES', '9 frames');
      const four = await Promise.all([0, 1, 2, 3].map((i) => img.png(20 + i, 20)));
      const tooMany = await upload(four.map((bytes, i) => ({ bytes, name: `${i}.png` })));
      expect([tooMany.status, (tooMany.body as { code: string }).code]).toEqual([413, 'IMAGES.TOO_MANY_FILES']);
      const before = await request(server()).get('/v1/images?limit=100').set('authorization', ACME);
      const mixed = await upload([
        { bytes: await img.png(33, 33, 8), name: 'good.png' },
        { bytes: Buffer.from('nope'), name: 'bad.png' },
      ]);
      expect([mixed.status, (mixed.body as { detail: string }).detail]).toEqual([
        400,
        expect.stringContaining('images[1] (bad.png)'),
      ]);
      const after = await request(server()).get('/v1/images?limit=100').set('authorization', ACME);
      expect((after.body as { total: number }).total).toBe((before.body as { total: number }).total);
      expect(await readdir(join(dataDir, 'images', 'tmp'))).toEqual([]);
    });

    it('should refuse malformed uploads: bad base64, no file part, another content type', async () => {
      const bad = await request(server())
        .post('/v1/images')
        .set('authorization', ACME)
        .send({ images: [{ data: '@@@' }] });
      expect([bad.status, (bad.body as { code: string }).code]).toEqual([400, 'IMAGES.UPLOAD_MALFORMED']);
      const empty = await request(server()).post('/v1/images').set('authorization', ACME).send({ images: [] });
      expect([empty.status, (empty.body as { code: string }).code]).toEqual([400, 'VALIDATION.FAILED']);
      const noFile = await request(server())
        .post('/v1/images')
        .set('authorization', ACME)
        .field('stripMetadata', 'true');
      expect([noFile.status, (noFile.body as { detail: string }).detail]).toEqual([
        400,
        expect.stringContaining('no file part'),
      ]);
      const text = await request(server())
        .post('/v1/images')
        .set('authorization', ACME)
        .set('content-type', 'text/plain')
        .send('hello');
      expect([text.status, (text.body as { code: string }).code]).toEqual([400, 'IMAGES.UPLOAD_MALFORMED']);
      const broken = await request(server())
        .post('/v1/images')
        .set('authorization', ACME)
        .set('content-type', 'multipart/form-data; boundary=xyz')
        .send('--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG');
      expect([broken.status, (broken.body as { code: string }).code]).toEqual([400, 'IMAGES.UPLOAD_MALFORMED']);
    });
  });

  describe('tenants', () => {
    it("should never show one tenant another tenant's image, its content or its similar images", async () => {
      const { item } = await uploadOne(await img.png(64, 64, 9), 'secret.png');
      const id = item.image.id;
      for (const path of [`/v1/images/${id}`, `/v1/images/${id}/content`, `/v1/images/${id}/similar`]) {
        const res = await request(server()).get(path).set('authorization', GLOBEX);
        expect([path, res.status, (res.body as { code: string }).code]).toEqual([path, 404, 'IMAGES.NOT_FOUND']);
      }
      const del = await request(server()).delete(`/v1/images/${id}`).set('authorization', GLOBEX);
      expect(del.status).toBe(404);
      const list = await request(server()).get('/v1/images?limit=100').set('authorization', GLOBEX);
      expect((list.body as { items: { id: string }[] }).items.map((i) => i.id)).not.toContain(id);
      expect((await request(server()).get(`/v1/images/${id}`).set('authorization', ACME)).status).toBe(200);
    });
  });

  describe('content and variants', () => {
    let id: string;
    let sha: string;
    let original: Buffer;
    beforeAll(async () => {
      original = await img.jpeg(600, 400, 10);
      const { item } = await uploadOne(original, 'photo.jpg');
      id = item.image.id;
      sha = item.image.sha256;
    });
    const get = (path: string, headers: Record<string, string> = {}) => {
      let r = request(server()).get(path).set('authorization', ACME);
      for (const [k, v] of Object.entries(headers)) r = r.set(k, v);
      return r.buffer(true).parse(binary);
    };

    it('should answer the original bytes with ETag, immutable caching, and 304 on If-None-Match', async () => {
      const res = await get(`/v1/images/${id}/content`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('image/jpeg');
      expect((res.body as Buffer).equals(original)).toBe(true);
      expect(res.headers.etag).toBe(`"${sha}"`);
      expect(res.headers['cache-control']).toContain('immutable');
      const again = await get(`/v1/images/${id}/content`, { 'if-none-match': `"${sha}"` });
      expect(again.status).toBe(304);
      const head = await request(server()).head(`/v1/images/${id}/content`).set('authorization', ACME);
      expect([head.status, head.headers['content-length']]).toEqual([200, String(original.length)]);
    });

    it('should render a bounded variant once, then answer it from the cache, with 304 on its ETag', async () => {
      const path = `/v1/images/${id}/content?w=256&format=webp&q=70`;
      const first = await get(path);
      expect([first.status, first.headers['content-type'], first.headers['x-image-cache']]).toEqual([
        200,
        'image/webp',
        'miss',
      ]);
      const meta = await sharp(first.body as Buffer).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', 256, 171]);
      const second = await get(path);
      expect(second.headers['x-image-cache']).toBe('memory');
      expect((second.body as Buffer).equals(first.body as Buffer)).toBe(true);
      expect(second.headers.etag).toBe(first.headers.etag);
      const notModified = await get(path, { 'if-none-match': first.headers.etag });
      expect(notModified.status).toBe(304);
      const head = await request(server()).head(path).set('authorization', ACME);
      expect([head.status, head.headers['content-length']]).toEqual([200, String((first.body as Buffer).length)]);
      const health = await request(server()).get('/health/services/images').set('authorization', ADMIN);
      expect(health.status).toBe(200);
      const metrics = await request(server()).get('/metrics').set('authorization', ADMIN);
      expect(metrics.text).toMatch(/images_variant_cache_lookups_total\{tier="memory"\} [1-9]/);
      expect(metrics.text).toMatch(/images_processing_duration_seconds_count\{operation="variant"\} [1-9]/);
    });

    it('should negotiate WebP or AVIF from Accept when no format is given', async () => {
      const webp = await get(`/v1/images/${id}/content?w=128`, { accept: 'image/avif,image/webp,*/*' });
      expect([webp.headers['content-type'], webp.headers.vary]).toEqual(['image/webp', 'Accept']);
      const avif = await get(`/v1/images/${id}/content?w=128`, { accept: 'image/avif' });
      expect(avif.headers['content-type']).toBe('image/avif');
      const plain = await get(`/v1/images/${id}/content?w=128`, { accept: '*/*' });
      expect(plain.headers['content-type']).toBe('image/jpeg');
      expect(new Set([webp.headers.etag, avif.headers.etag, plain.headers.etag]).size).toBe(3);
    });

    it('should refuse sizes and formats outside the configured bounds, and never enlarge', async () => {
      const odd = await get(`/v1/images/${id}/content?w=257`);
      expect([odd.status, (JSON.parse((odd.body as Buffer).toString()) as { code: string }).code]).toEqual([
        400,
        'IMAGES.INVALID_OPERATION',
      ]);
      const bad = await get(`/v1/images/${id}/content?format=bmp`);
      expect(bad.status).toBe(400);
      const { item } = await uploadOne(await img.png(100, 80, 11));
      const small = await get(`/v1/images/${item.image.id}/content?w=256&format=png`);
      const meta = await sharp(small.body as Buffer).metadata();
      expect([meta.width, meta.height]).toEqual([100, 80]);
    });

    it('should apply explicit transforms in order and cache them', async () => {
      const body = {
        operations: [
          { op: 'crop', left: 0, top: 0, width: 300, height: 200 },
          { op: 'rotate', angle: 90 },
          { op: 'flip', direction: 'horizontal' },
          { op: 'grayscale' },
          { op: 'blur', sigma: 1.5 },
          { op: 'resize', width: 100 },
        ],
        format: 'png',
      };
      const post = () =>
        request(server())
          .post(`/v1/images/${id}/transform`)
          .set('authorization', ACME)
          .send(body)
          .buffer(true)
          .parse(binary);
      const first = await post();
      expect([first.status, first.headers['content-type'], first.headers['x-image-cache']]).toEqual([
        200,
        'image/png',
        'miss',
      ]);
      const meta = await sharp(first.body as Buffer).metadata();
      expect([meta.width, meta.height]).toEqual([100, 150]);
      const stats = await sharp(first.body as Buffer).stats();
      expect(stats.isOpaque).toBe(true);
      expect((await post()).headers['x-image-cache']).toBe('memory');
      const outside = await request(server())
        .post(`/v1/images/${id}/transform`)
        .set('authorization', ACME)
        .send({ operations: [{ op: 'crop', left: 500, top: 0, width: 200, height: 100 }] });
      expect([outside.status, (outside.body as { code: string }).code]).toEqual([400, 'IMAGES.INVALID_OPERATION']);
      const huge = await request(server())
        .post(`/v1/images/${id}/transform`)
        .set('authorization', ACME)
        .send({ operations: [{ op: 'resize', width: 20_000 }] });
      expect(huge.status).toBe(400);
    });

    it('should list with paging and filters', async () => {
      const all = await request(server()).get('/v1/images?limit=2').set('authorization', ACME);
      expect(all.status).toBe(200);
      expect(all.body).toMatchObject({ offset: 0, limit: 2 });
      expect((all.body as { items: unknown[]; total: number }).items).toHaveLength(2);
      expect((all.body as { total: number }).total).toBeGreaterThan(2);
      const webps = await request(server())
        .get('/v1/images?format=webp&source=upload&limit=100')
        .set('authorization', ACME);
      expect((webps.body as { items: { format: string }[] }).items.every((i) => i.format === 'webp')).toBe(true);
      expect((webps.body as { total: number }).total).toBeGreaterThan(0);
      const future = await request(server())
        .get('/v1/images?createdFrom=2999-01-01T00:00:00Z')
        .set('authorization', ACME);
      expect((future.body as { total: number }).total).toBe(0);
      const captioned = await request(server()).get('/v1/images?caption=nothing-has-this').set('authorization', ACME);
      expect((captioned.body as { total: number }).total).toBe(0);
      const bad = await request(server()).get('/v1/images?format=bmp').set('authorization', ACME);
      expect(bad.status).toBe(400);
    });

    it('should delete an image with its cached variants and bytes', async () => {
      const { item } = await uploadOne(await img.png(200, 200, 12));
      await get(`/v1/images/${item.image.id}/content?w=64&format=webp`);
      const variants = join(dataDir, 'images', 'variants', item.image.sha256.slice(0, 2), item.image.sha256);
      expect(await readdir(variants)).toHaveLength(1);
      const del = await request(server()).delete(`/v1/images/${item.image.id}`).set('authorization', ACME);
      expect(del.status).toBe(204);
      await expect(readdir(variants)).rejects.toThrow('ENOENT');
      await expect(readdir(join(dataDir, 'images', 'blobs', item.image.sha256.slice(0, 2)))).resolves.not.toContain(
        item.image.sha256,
      );
      expect((await request(server()).get(`/v1/images/${item.image.id}`).set('authorization', ACME)).status).toBe(404);
      expect((await request(server()).delete(`/v1/images/${item.image.id}`).set('authorization', ACME)).status).toBe(
        404,
      );
    });

    it('should refuse an id that is not a UUID', async () => {
      const res = await request(server()).get('/v1/images/not-a-uuid').set('authorization', ACME);
      expect([res.status, (res.body as { code: string }).code]).toEqual([400, 'VALIDATION.FAILED']);
    });
  });

  describe('other services and settings', () => {
    it('should store images put by another service through IMAGE_STORE, with their source and caption', async () => {
      const store = app.get<ImageStore>(IMAGE_STORE);
      const put = await store.put('acme', await img.webp(90, 60, 13), { source: 'comfy', filename: 'gen.webp' });
      expect(put).toMatchObject({ created: true, image: { source: 'comfy', format: 'webp', tenant: 'acme' } });
      await store.setCaption('acme', put.image.id, 'A Small Robot painting');
      await expect(store.put('acme', Buffer.from('not an image'), { source: 'diffusion' })).rejects.toThrow(
        'not an image',
      );
      const bySource = await request(server()).get('/v1/images?source=comfy').set('authorization', ACME);
      expect((bySource.body as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([put.image.id]);
      const byCaption = await request(server()).get('/v1/images?caption=small%20robot').set('authorization', ACME);
      expect((byCaption.body as { items: { caption: string }[] }).items.map((i) => i.caption)).toEqual([
        'A Small Robot painting',
      ]);
      await expect(store.setCaption('globex', put.image.id, 'x')).rejects.toThrow('No image');
      expect(await store.find('globex', put.image.id)).toBeUndefined();
    });

    it('should take the near-duplicate distance from the runtime settings', async () => {
      const a = await uploadOne(await img.jpeg(400, 300, 14, 90));
      const patch = await request(server())
        .patch('/config/images')
        .set('authorization', ADMIN)
        .send({ nearDuplicateDistance: 0 });
      expect(patch.status).toBe(200);
      try {
        const b = await uploadOne(await img.jpeg(400, 300, 14, 40));
        const distance = (
          await request(server()).get(`/v1/images/${a.item.image.id}/similar?maxDistance=32`).set('authorization', ACME)
        ).body as { items: { image: { id: string }; distance: number }[] };
        const d = distance.items.find((h) => h.image.id === b.item.image.id)?.distance;
        expect(b.item.nearDuplicates.some((n) => n.id === a.item.image.id)).toBe(d === 0);
        const similar = await request(server()).get(`/v1/images/${a.item.image.id}/similar`).set('authorization', ACME);
        expect((similar.body as { maxDistance: number }).maxDistance).toBe(0);
      } finally {
        await request(server()).patch('/config/images').set('authorization', ADMIN).send({ nearDuplicateDistance: 10 });
      }
      const bad = await request(server())
        .patch('/config/images')
        .set('authorization', ADMIN)
        .send({ nearDuplicateDistance: 99 });
      expect(bad.status).toBe(400);
    });

    it('should keep animation in a WebP variant of an animated GIF', async () => {
      const { item } = await uploadOne(await img.animatedGif(4, 128));
      const res = await request(server())
        .get(`/v1/images/${item.image.id}/content?w=64&format=webp`)
        .set('authorization', ACME)
        .buffer(true)
        .parse(binary);
      const meta = await sharp(res.body as Buffer, { animated: true }).metadata();
      expect([meta.format, meta.pages, meta.width]).toEqual(['webp', 4, 64]);
    });

    it('should clean up and keep serving when a client drops mid-upload', async () => {
      const httpServer = app.getHttpServer();
      if (!httpServer.listening) await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      const { port } = httpServer.address() as { port: number };
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      const head = [
        'POST /v1/images HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: ${ACME}`,
        'Content-Type: multipart/form-data; boundary=b0undary',
        'Content-Length: 1000000',
        '',
        '--b0undary',
        'Content-Disposition: form-data; name="file"; filename="half.png"',
        'Content-Type: image/png',
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      socket.write((await img.png(300, 300, 15)).subarray(0, 2_000));
      await eventually(async () => (await readdir(join(dataDir, 'images', 'tmp'))).length === 1, {
        what: 'the upload is being staged',
      });
      socket.destroy();
      await eventually(async () => (await readdir(join(dataDir, 'images', 'tmp'))).length === 0, {
        what: 'the staged file is removed',
      });
      expect((await request(server()).get('/v1/images?limit=1').set('authorization', ACME)).status).toBe(200);
    });

    it('should answer a variant from the disk cache after a restart', async () => {
      const { item } = await uploadOne(await img.png(300, 200, 16));
      const path = `/v1/images/${item.image.id}/content?w=128&format=png`;
      const first = await request(server()).get(path).set('authorization', ACME);
      expect(first.headers['x-image-cache']).toBe('miss');
      await app.close();
      app = await createTestApp({ env: { DATA_DIR: dataDir, IMAGES_VARIANT_SIZES: '64,128,256' } });
      const again = await request(server()).get(path).set('authorization', ACME);
      expect([again.status, again.headers['x-image-cache']]).toEqual([200, 'disk']);
      expect((await request(server()).get(path).set('authorization', ACME)).headers['x-image-cache']).toBe('memory');
    });
  });
});
