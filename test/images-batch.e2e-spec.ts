import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import * as img from '../src/services/images/test-images.testing';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { TEST_KEYS, type TestKey } from './support/test-credentials';

const acme = TEST_KEYS.acme.operator;
const acmeAdmin = TEST_KEYS.acme.admin;
const globex = TEST_KEYS.globex.operator;

interface Job {
  id: string;
  state: string;
  result?: {
    total: number;
    succeeded: number;
    failed: number;
    items: {
      id: string;
      status: string;
      variant?: { url: string; etag: string; contentType: string; bytes: number };
      image?: { id: string; created: boolean; format: string; width: number; height: number };
      error?: { code: string; detail: string };
    }[];
  };
  problem?: { code: string };
}

describe('Images batch jobs (e2e)', () => {
  let app: NestExpressApplication;
  let base: string;
  let dataDir: string;
  const clients: SseTestClient[] = [];

  const call = (key: TestKey, method: string, path: string, body?: unknown) =>
    fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const upload = async (images: Buffer[], key = acme): Promise<string[]> => {
    const res = await call(key, 'POST', '/v1/images', {
      images: images.map((b, i) => ({ data: b.toString('base64'), filename: `pic-${i}.png` })),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { items: { image: { id: string } }[] }).items.map((i) => i.image.id);
  };
  const follow = (id: string, key = acme) => {
    const c = new SseTestClient(`${base}/jobs/${id}/events`, ['state', 'progress'], {
      authorization: `Bearer ${key.key}`,
    });
    clients.push(c);
    return c;
  };
  const getJob = async (id: string) => (await (await call(acme, 'GET', `/jobs/${id}`)).json()) as Job;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-images-batch-e2e-'));
    app = await createTestApp({
      env: {
        DATA_DIR: dataDir,
        IMAGES_VARIANT_SIZES: '64,128,256',
        IMAGES_BATCH_MAX_IMAGES: '40',
        HTTP_BODY_LIMIT: '8mb',
      },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should render a variant of every image as a job, with a progress event per image and variant references that serve from the cache', async () => {
    const ids = await upload([await img.png(300, 200, 0), await img.png(320, 240, 1), await img.jpeg(200, 300, 2)]);
    const res = await call(acme, 'POST', '/v1/images/batch', { ids, variant: { w: 128, format: 'webp' } });
    expect(res.status).toBe(202);
    const job = (await res.json()) as Job;
    expect(res.headers.get('location')).toBe(`/jobs/${job.id}`);
    const events = follow(job.id);
    await events.ended();
    const progress = events.of('progress').map((e) => e.data as { value: number; max: number; stage: string });
    expect(progress.filter((p) => p.stage === 'succeeded').map((p) => [p.value, p.max])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    const done = events.of('done')[0].data as { state: string; result: Job['result'] };
    expect(done.result).toMatchObject({ total: 3, succeeded: 3, failed: 0 });
    for (const [i, item] of done.result!.items.entries()) {
      expect(item).toMatchObject({ id: ids[i], status: 'succeeded', variant: { contentType: 'image/webp' } });
      const served = await call(acme, 'GET', item.variant!.url);
      expect(served.status).toBe(200);
      expect(served.headers.get('x-image-cache')).not.toBe('miss');
      expect(served.headers.get('etag')).toBe(item.variant!.etag);
      const bytes = Buffer.from(await served.arrayBuffer());
      expect(bytes.length).toBe(item.variant!.bytes);
      const meta = await sharp(bytes).metadata();
      expect([meta.format, Math.max(meta.width, meta.height)]).toEqual(['webp', i === 2 ? 192 : 128]);
    }
  });

  it('should push the same per-image progress over the jobs WebSocket', async () => {
    const ids = await upload([await img.png(140, 100, 6), await img.png(150, 100, 7)]);
    const ws = new WebSocket(`${base.replace('http', 'ws')}/jobs/ws`, {
      headers: { authorization: `Bearer ${acme.key}` },
    });
    const messages: { type: string; event?: string; data?: { stage?: string; value?: number } }[] = [];
    ws.on('message', (d: Buffer) => messages.push(JSON.parse(d.toString()) as (typeof messages)[number]));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    try {
      // Queued behind a pause so that the subscription is in place before the first event.
      expect((await call(acmeAdmin, 'POST', '/jobs/kinds/images.batch/pause')).status).toBe(200);
      const job = (await (
        await call(acme, 'POST', '/v1/images/batch', { ids, variant: { w: 64, format: 'png' } })
      ).json()) as Job;
      ws.send(JSON.stringify({ type: 'subscribe', job: job.id, after: 0 }));
      expect((await call(acmeAdmin, 'POST', '/jobs/kinds/images.batch/resume')).status).toBe(200);
      await eventually(() => messages.some((m) => m.type === 'done'), {
        timeoutMs: 15_000,
        what: 'done over WebSocket',
      });
      const perImage = messages.filter((m) => m.event === 'progress' && m.data?.stage === 'succeeded');
      expect(perImage.map((m) => m.data?.value)).toEqual([1, 2]);
    } finally {
      ws.close();
    }
  });

  it('should store each transformed image as a new derived image, listed by source', async () => {
    const ids = await upload([await img.png(256, 256, 3), await img.jpeg(256, 128, 4)]);
    const res = await call(acme, 'POST', '/v1/images/batch', {
      ids,
      transform: { operations: [{ op: 'grayscale' }, { op: 'resize', width: 64 }], format: 'png' },
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as Job;
    const job = await eventually(async () => {
      const j = await getJob(id);
      return j.state === 'succeeded' ? j : undefined;
    });
    expect(job.result).toMatchObject({ total: 2, succeeded: 2 });
    const derived = job.result!.items.map((i) => i.image!);
    expect(derived.map((d) => [d.format, d.width])).toEqual([
      ['png', 64],
      ['png', 64],
    ]);
    const list = await (await call(acme, 'GET', '/v1/images?source=derived')).json();
    expect((list as { items: { id: string }[] }).items.map((i) => i.id).sort()).toEqual(
      derived.map((d) => d.id).sort(),
    );
    const content = Buffer.from(await (await call(acme, 'GET', `/v1/images/${derived[0].id}/content`)).arrayBuffer());
    const stats = await sharp(content).stats();
    // Grayscale: the channels agree.
    expect(Math.abs(stats.channels[0].mean - stats.channels[1].mean)).toBeLessThan(1);
    // The tenant's own images only: globex sees none of them.
    expect((await call(globex, 'GET', `/v1/images/${derived[0].id}`)).status).toBe(404);
  });

  it('should refuse a batch that cannot work before it becomes a job', async () => {
    const [id] = await upload([await img.png(100, 80, 5)]);
    const [other] = await upload([await img.png(100, 80, 5)], globex);
    const problems = [
      [await call(acme, 'POST', '/v1/images/batch', { ids: [id] }), 400, 'VALIDATION.FAILED'],
      [
        await call(acme, 'POST', '/v1/images/batch', {
          ids: [id],
          variant: { w: 64, format: 'png' },
          transform: { operations: [{ op: 'grayscale' }] },
        }),
        400,
        'VALIDATION.FAILED',
      ],
      [
        await call(acme, 'POST', '/v1/images/batch', { ids: [id], variant: { w: 100, format: 'png' } }),
        400,
        'IMAGES.INVALID_OPERATION',
      ],
      [
        await call(acme, 'POST', '/v1/images/batch', {
          ids: [id],
          transform: { operations: [{ op: 'crop', left: 90, top: 0, width: 20, height: 10 }] },
        }),
        400,
        'IMAGES.INVALID_OPERATION',
      ],
      [
        await call(acme, 'POST', '/v1/images/batch', { ids: [id, other], variant: { w: 64, format: 'png' } }),
        404,
        'IMAGES.NOT_FOUND',
      ],
      [
        await call(acme, 'POST', '/v1/images/batch', { ids: ['nope'], variant: { w: 64, format: 'png' } }),
        400,
        'VALIDATION.FAILED',
      ],
      [
        await call(acme, 'POST', '/v1/images/batch', {
          ids: Array.from({ length: 41 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
          variant: { w: 64, format: 'png' },
        }),
        413,
        'IMAGES.TOO_MANY_FILES',
      ],
    ] as const;
    for (const [res, status, code] of problems) {
      const body = (await res.json()) as { code: string; detail: string };
      expect([res.status, body.code]).toEqual([status, code]);
    }
    const sized = await call(acme, 'POST', '/v1/images/batch', { ids: [id], variant: { w: 100, format: 'png' } });
    expect(((await sized.json()) as { detail: string }).detail).toContain(`ids[0] (${id})`);
  });

  it('should cancel a queued batch at once and a running one between images', async () => {
    const ids = await upload(await Promise.all(Array.from({ length: 16 }, (_, i) => img.png(900, 700 + i, i))));
    const ids2 = await upload(await Promise.all(Array.from({ length: 16 }, (_, i) => img.png(880, 700 + i, i))));
    const all = [...ids, ...ids2];
    const heavy = {
      operations: [
        { op: 'blur', sigma: 40 },
        { op: 'rotate', angle: 33 },
      ],
      format: 'png',
    };

    expect((await call(acmeAdmin, 'POST', '/jobs/kinds/images.batch/pause')).status).toBe(200);
    const queued = (await (await call(acme, 'POST', '/v1/images/batch', { ids: all, transform: heavy })).json()) as Job;
    expect((await call(acme, 'DELETE', `/jobs/${queued.id}`)).status).toBe(202);
    expect((await getJob(queued.id)).state).toBe('cancelled');
    expect((await call(acmeAdmin, 'POST', '/jobs/kinds/images.batch/resume')).status).toBe(200);

    const running = (await (
      await call(acme, 'POST', '/v1/images/batch', { ids: all, transform: heavy })
    ).json()) as Job;
    const events = follow(running.id);
    await events.until(() => events.of('progress').some((e) => (e.data as { value: number }).value >= 1), 30_000);
    expect((await call(acme, 'DELETE', `/jobs/${running.id}`)).status).toBe(202);
    await events.ended();
    expect(events.of('error')[0].data).toMatchObject({ code: 'JOBS.CANCELLED' });
    const processed = Math.max(...events.of('progress').map((e) => (e.data as { value: number }).value));
    expect(processed).toBeLessThan(all.length);
    const derived = (await (await call(acme, 'GET', '/v1/images?source=derived&limit=100')).json()) as {
      total: number;
    };
    // Only what ran before the cancel was stored (plus the earlier test's two).
    expect(derived.total).toBeLessThanOrEqual(processed + 1 + 2);
  });
});
