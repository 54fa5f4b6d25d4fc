import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { FakeA1111 } from './fixtures/fake-a1111';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { bearer, TEST_AUTH, TEST_KEYS } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);

interface Job {
  id: string;
  state: string;
  position?: number;
  result?: {
    instance: string;
    model: string | null;
    items: { prompt: string; seeds: number[]; images: { id: string; seed: number; created: boolean }[] }[];
  };
  problem?: { code: string; detail: string };
}

describe('Diffusion gateway over two fake AUTOMATIC1111 instances (e2e)', () => {
  let app: NestExpressApplication;
  let fakes: FakeA1111[];
  let dataDir: string;
  let base: string;
  const clients: SseTestClient[] = [];

  const http = () => request(app.getHttpServer());
  const job = async (id: string, key = AUTH): Promise<Job> =>
    (await http().get(`/jobs/${id}`).set('authorization', key).expect(200)).body as Job;
  const finished = (id: string, key = AUTH) =>
    eventually(
      async () => {
        const j = await job(id, key);
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      { timeoutMs: 30_000, what: `job ${id} to finish` },
    );

  beforeAll(async () => {
    fakes = [
      await FakeA1111.start({ stepMs: 3, previews: true }),
      await FakeA1111.start({ stepMs: 3, previews: true }),
    ];
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-diffusion-e2e-'));
    app = await createTestApp({
      env: {
        DATA_DIR: dataDir,
        DIFFUSION_URLS: fakes.map((f) => f.url).join(','),
        DIFFUSION_PROGRESS_INTERVAL_MS: '50',
        DIFFUSION_PREVIEWS: 'true',
      },
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    for (const f of fakes) f.set({ stepMs: 3, failCount: 0, holdUntilPolls: 0, hold: false });
  });
  afterAll(async () => {
    await app.close();
    await Promise.all(fakes.map((f) => f.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should list the instances’ checkpoints, samplers and schedulers', async () => {
    const res = await http().get('/v1/diffusion/models').set('authorization', AUTH).expect(200);
    expect(res.body.models.map((m: { name: string }) => m.name)).toEqual([
      'sd_xl_base_1.0',
      'dreamshaper_8',
      'v1-5-pruned',
    ]);
    expect(res.body.samplers.map((s: { name: string }) => s.name)).toContain('Euler a');
    expect(res.body.schedulers).toContain('karras');
    expect(res.body.instances).toEqual({ up: 2, total: 2 });
  });

  it('should run one prompt as a job with progress events and put its images in the image store', async () => {
    // Sampling outlasts a progress poll however loaded the machine is.
    for (const f of fakes) f.set({ holdUntilPolls: 1 });
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompt: 'a fennec in the desert at dusk', steps: 12, width: 64, height: 96, seed: 42, batch_size: 2 })
      .expect(202);
    expect(res.headers.location).toBe(`/jobs/${res.body.jobs[0].id}`);
    const id = res.body.jobs[0].id as string;
    const sse = new SseTestClient(`${base}/jobs/${id}/events`, ['state', 'progress'], { authorization: AUTH });
    clients.push(sse);
    const done = await finished(id);
    expect(done.state).toBe('succeeded');
    const [item] = done.result!.items;
    expect(item.seeds).toEqual([42, 43]);
    expect(item.images).toHaveLength(2);
    for (const image of item.images) {
      const meta = await http().get(`/v1/images/${image.id}`).set('authorization', AUTH).expect(200);
      expect(meta.body).toMatchObject({ source: 'diffusion', format: 'png', width: 64, height: 96 });
    }
    await eventually(() => sse.events.some((e) => e.type === 'done'), { what: 'the done event' });
    const sampling = sse.events.filter(
      (e) => e.type === 'progress' && (e.data as { stage?: string }).stage === 'sampling',
    );
    expect(sampling.length).toBeGreaterThan(0);
    expect((sampling[0].data as { message: string }).message).toMatch(/step \d+ of 12/);
    expect(
      sampling.some((e) => String((e.data as { preview?: string }).preview).startsWith('data:image/png;base64,')),
    ).toBe(true);

    // The same seed and prompt again: the same bytes, stored once (exact dedup).
    const again = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompt: 'a fennec in the desert at dusk', steps: 12, width: 64, height: 96, seed: 42 })
      .expect(202);
    const second = await finished(again.body.jobs[0].id);
    expect(second.result!.items[0].images[0]).toMatchObject({ id: item.images[0].id, created: false });
  });

  it('should spread a parallel batch over both instances, one generation at a time each, with queue positions', async () => {
    // The first two generations stay at their last step until the positions have been read.
    for (const f of fakes) f.set({ stepMs: 15, hold: true });
    const before = fakes.map((f) => f.generations.length);
    const prompts = Array.from({ length: 6 }, (_, i) => ({ prompt: `lighthouse number ${i}` }));
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompts, steps: 10, width: 64, height: 64 })
      .expect(202);
    expect(res.body.mode).toBe('parallel');
    const ids = (res.body.jobs as Job[]).map((j) => j.id);
    expect(ids).toHaveLength(6);
    // Two run, the rest wait in the queue: the last one submitted has jobs ahead of it.
    const last = await job(ids[5]);
    expect(last.state).toBe('queued');
    expect(last.position).toBeGreaterThanOrEqual(1);
    for (const f of fakes) f.set({ hold: false });
    const results = await Promise.all(ids.map((id) => finished(id)));
    expect(results.every((r) => r.state === 'succeeded')).toBe(true);
    const ran = fakes.map((f, i) => f.generations.length - before[i]);
    expect(ran[0] + ran[1]).toBe(6);
    expect(ran[0]).toBeGreaterThanOrEqual(2);
    expect(ran[1]).toBeGreaterThanOrEqual(2);
    expect(new Set(results.map((r) => r.result!.instance)).size).toBe(2);
    // Never a second generation sent to a busy instance.
    expect(fakes.map((f) => f.maxConcurrentGenerations)).toEqual([1, 1]);
  });

  it('should run a sequence on one instance, in order, as one job', async () => {
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({
        prompts: [{ prompt: 'first' }, { prompt: 'second' }, { prompt: 'third' }],
        mode: 'sequence',
        steps: 4,
        width: 64,
        height: 64,
      })
      .expect(202);
    expect(res.body.jobs).toHaveLength(1);
    const done = await finished(res.body.jobs[0].id);
    expect(done.result!.items.map((i) => i.prompt)).toEqual(['first', 'second', 'third']);
  });

  it('should honour a per-request model and say which one ran', async () => {
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompt: 'a red bicycle', model: 'dreamshaper_8', steps: 4, width: 64, height: 64 })
      .expect(202);
    const done = await finished(res.body.jobs[0].id);
    expect(done.result!.model).toBe('dreamshaper_8');
    const ran = fakes.flatMap((f) => f.generations).find((g) => g.prompt === 'a red bicycle')!;
    expect(ran.model).toMatch(/^dreamshaper_8\.safetensors/);
  });

  it('should fail a job whose model the instance did not run, instead of passing the wrong model off', async () => {
    // The instances lose the checkpoint after Fennec cached the catalog: A1111 then ignores the override.
    const saved = fakes.map((f) => f.models);
    for (const f of fakes) f.models = f.models.filter((m) => m.model_name !== 'v1-5-pruned');
    try {
      const res = await http()
        .post('/v1/diffusion/jobs')
        .set('authorization', AUTH)
        .send({ prompt: 'an old tram', model: 'v1-5-pruned', steps: 2, width: 64, height: 64 })
        .expect(202);
      const done = await finished(res.body.jobs[0].id);
      expect(done.state).toBe('failed');
      expect(done.problem).toMatchObject({ code: 'DIFFUSION.MODEL_NOT_HONOURED' });
    } finally {
      fakes.forEach((f, i) => (f.models = saved[i]));
    }
  });

  it('should cancel a running job by interrupting its instance, and a queued one without touching the running', async () => {
    for (const f of fakes) f.set({ stepMs: 200 });
    const interruptsBefore = fakes.reduce((n, f) => n + f.interrupts, 0);
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({
        prompts: [{ prompt: 'long a' }, { prompt: 'long b' }, { prompt: 'long c' }],
        steps: 100,
        width: 64,
        height: 64,
      })
      .expect(202);
    const [a, b, c] = (res.body.jobs as Job[]).map((j) => j.id);
    await eventually(async () => (await job(a)).state === 'running' && (await job(b)).state === 'running', {
      what: 'two running',
    });
    expect((await job(c)).state).toBe('queued');
    await http().delete(`/jobs/${c}`).set('authorization', AUTH).expect(202);
    expect((await job(c)).state).toBe('cancelled');
    expect(fakes.reduce((n, f) => n + f.interrupts, 0)).toBe(interruptsBefore);

    await http().delete(`/jobs/${a}`).set('authorization', AUTH).expect(202);
    const cancelled = await finished(a);
    expect(cancelled.state).toBe('cancelled');
    expect(fakes.reduce((n, f) => n + f.interrupts, 0)).toBe(interruptsBefore + 1);
    expect(fakes.flatMap((f) => f.generations).find((g) => g.prompt === 'long a')?.interrupted).toBe(true);
    expect((await job(b)).state).toBe('running');
    await http().delete(`/jobs/${b}`).set('authorization', AUTH).expect(202);
    await finished(b);
  });

  it('should run img2img from an image of the caller’s store, and refuse one it does not have', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 30, b: 30 } } })
      .png()
      .toBuffer();
    const upload = await http()
      .post('/v1/images')
      .set('authorization', AUTH)
      .send({ images: [{ data: png.toString('base64') }] })
      .expect(201);
    const initId = upload.body.items[0].image.id as string;
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompt: 'make it blue', init_image_id: initId, denoising_strength: 0.4, steps: 3, width: 64, height: 64 })
      .expect(202);
    const done = await finished(res.body.jobs[0].id);
    expect(done.state).toBe('succeeded');
    expect(fakes.flatMap((f) => f.generations).find((g) => g.prompt === 'make it blue')?.route).toBe('img2img');
    // Another tenant's view: that image does not exist for it.
    const other = bearer(TEST_KEYS.globex.viewer);
    const refused = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', other)
      .send({ prompt: 'x', init_image_id: initId })
      .expect(400);
    expect(refused.body.errors[0].field).toBe('init_image_id');
  });

  it('should fail a job on a server error, say what the server said, and give the instance back', async () => {
    for (const f of fakes) f.set({ failStatus: 500, failCount: 1 });
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompts: [{ prompt: 'doomed a' }, { prompt: 'doomed b' }], steps: 2, width: 64, height: 64 })
      .expect(202);
    const failed = await Promise.all((res.body.jobs as Job[]).map((j) => finished(j.id)));
    expect(failed.map((j) => j.state)).toEqual(['failed', 'failed']);
    expect(failed[0].problem?.code).toBe('UPSTREAM.BAD_RESPONSE');
    // A refusal in A1111's own words (a 4xx): named in the job's problem.
    for (const f of fakes) f.set({ failStatus: 422, failCount: 1 });
    const refused = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompts: [{ prompt: 'refused a' }, { prompt: 'refused b' }], steps: 2, width: 64, height: 64 })
      .expect(202);
    const problems = await Promise.all((refused.body.jobs as Job[]).map((j) => finished(j.id)));
    expect(problems[0].problem).toMatchObject({ code: 'DIFFUSION.GENERATION_FAILED' });
    expect(problems[0].problem!.detail).toMatch(/422: CUDA out of memory/);
    // Both instances are free again.
    const next = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompts: [{ prompt: 'fine a' }, { prompt: 'fine b' }], steps: 2, width: 64, height: 64 })
      .expect(202);
    const ok = await Promise.all((next.body.jobs as Job[]).map((j) => finished(j.id)));
    expect(ok.map((j) => j.state)).toEqual(['succeeded', 'succeeded']);
  });

  it('should wait for work that reached an instance some other way instead of sending a second generation', async () => {
    for (const f of fakes) f.set({ stepMs: 30 });
    for (const f of fakes) f.maxConcurrentGenerations = 0;
    // Someone uses both web UIs directly.
    const outside = fakes.map((f) =>
      fetch(`${f.url}/sdapi/v1/txt2img`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'from the web ui', steps: 10, width: 64, height: 64 }),
      }).then((r) => r.json()),
    );
    await eventually(() => fakes.every((f) => f.busy), { what: 'both instances busy' });
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompt: 'patient', steps: 2, width: 64, height: 64 })
      .expect(202);
    const done = await finished(res.body.jobs[0].id);
    await Promise.all(outside);
    expect(done.state).toBe('succeeded');
    expect(fakes.map((f) => f.maxConcurrentGenerations)).toEqual([1, 1]);
  });

  it('should refuse bad input with a problem naming each field, before queueing', async () => {
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompt: 'x', width: 100, height: 4096, steps: 500, sampler: 'Nope', model: 'missing-model' })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['height', 'model', 'sampler', 'steps', 'width']);
    await http().post('/v1/diffusion/jobs').set('authorization', AUTH).send({ steps: 3 }).expect(400);
    await http().post('/v1/diffusion/jobs').set('authorization', AUTH).send({ prompt: 'x', wat: 1 }).expect(400);
  });

  it('should keep to the model allow-list set at runtime', async () => {
    const admin = bearer(TEST_KEYS.acme.admin);
    await http()
      .patch('/config/diffusion')
      .set('authorization', admin)
      .send({ allowedModels: ['dreamshaper_8'] })
      .expect(200);
    try {
      const models = await http().get('/v1/diffusion/models').set('authorization', AUTH).expect(200);
      expect(models.body.models.map((m: { name: string }) => m.name)).toEqual(['dreamshaper_8']);
      const res = await http()
        .post('/v1/diffusion/jobs')
        .set('authorization', AUTH)
        .send({ prompt: 'x', model: 'sd_xl_base_1.0' })
        .expect(400);
      expect(res.body.detail).toMatch(/not allowed/);
    } finally {
      await http().patch('/config/diffusion').set('authorization', admin).send({ allowedModels: [] }).expect(200);
    }
  });
});

describe('Diffusion gateway timeouts (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeA1111;
  let dataDir: string;

  beforeAll(async () => {
    fake = await FakeA1111.start({ stepMs: 100 });
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-diffusion-timeout-e2e-'));
    app = await createTestApp({
      env: { DATA_DIR: dataDir, DIFFUSION_URLS: fake.url, DIFFUSION_GENERATION_TIMEOUT_MS: '1000' },
    });
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should interrupt a generation that runs past DIFFUSION_GENERATION_TIMEOUT_MS and fail its job', async () => {
    const http = () => request(app.getHttpServer());
    const res = await http()
      .post('/v1/diffusion/jobs')
      .set('authorization', AUTH)
      .send({ prompt: 'forever', steps: 100, width: 64, height: 64 })
      .expect(202);
    const id = res.body.jobs[0].id as string;
    const done = await eventually(
      async () => {
        const j = (await http().get(`/jobs/${id}`).set('authorization', AUTH).expect(200)).body as Job;
        return j.state === 'failed' ? j : undefined;
      },
      { timeoutMs: 20_000, what: 'the job to time out' },
    );
    expect(done.problem).toMatchObject({ code: 'DIFFUSION.TIMEOUT' });
    expect(fake.interrupts).toBeGreaterThanOrEqual(1);
    await eventually(() => !fake.busy, { what: 'the instance idle again' });
    expect(fake.generations[0]).toMatchObject({ prompt: 'forever', interrupted: true });
  });
});
