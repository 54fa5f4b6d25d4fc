import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FakeComfyServer } from './fixtures/fake-comfyui';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

const VIEWER = bearer(TEST_AUTH.viewer);

interface JobBody {
  id: string;
  state: string;
  result?: { promptId: string; instance: string; submissions: number; images: { id: string }[] };
  problem?: { code: string; detail: string };
}

const WORKFLOW = (seed: number) => ({
  '3': {
    class_type: 'KSampler',
    inputs: {
      seed,
      steps: 40,
      cfg: 8,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['6', 0],
      latent_image: ['5', 0],
    },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 32, height: 32, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'x', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'k', images: ['8', 0] } },
});

describe('ComfyUI over two servers: affinity and a server dying mid-job (e2e)', () => {
  let app: NestExpressApplication;
  let fakes: FakeComfyServer[];
  let dataDir: string;

  beforeAll(async () => {
    fakes = await Promise.all([0, 1].map(() => new FakeComfyServer({ stepDelayMs: 20 }).start()));
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-comfy-instances-'));
    app = await createTestApp({
      env: {
        DATA_DIR: dataDir,
        COMFY_URLS: fakes.map((f) => f.url).join(','),
        COMFY_INSTANCE_LOST_MS: '600',
        COMFY_WS_RECONNECT_MIN_MS: '20',
        COMFY_WS_RECONNECT_MAX_MS: '100',
      },
    });
    await eventually(() => fakes.every((f) => f.connectedClients().length === 1), { what: 'both fakes connected' });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all(fakes.map((f) => f.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  const http = () => request(app.getHttpServer());
  const job = async (id: string): Promise<JobBody> =>
    (await http().get(`/jobs/${id}`).set('authorization', VIEWER)).body as JobBody;
  const finished = (id: string) =>
    eventually(
      async () => {
        const j = await job(id);
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      { timeoutMs: 20_000, what: `job ${id} finished` },
    );
  const idOf = (f: FakeComfyServer) => new URL(f.url).host;
  const runningOn = () => eventually(() => fakes.find((f) => f.running !== undefined), { what: 'a prompt running' });

  it('should ask only the server that accepted the prompt for its history and outputs', async () => {
    const ids = await Promise.all(
      [1, 2, 3, 4].map(
        async (seed) =>
          (
            await http()
              .post('/v1/comfy/jobs')
              .set('authorization', VIEWER)
              .send({ template: 'text2img', params: { prompt: 'p', seed, steps: 2, width: 32, height: 32 } })
              .expect(202)
          ).body.id as string,
      ),
    );
    const done = await Promise.all(ids.map(finished));
    for (const j of done) {
      expect(j.state).toBe('succeeded');
      const ran = fakes.find((f) => idOf(f) === j.result!.instance)!;
      expect(ran.history.has(j.result!.promptId)).toBe(true);
      expect(fakes.filter((f) => f !== ran).every((f) => !f.history.has(j.result!.promptId))).toBe(true);
    }
    // Round robin spread the prompts; each server served /view only for its own outputs.
    expect(new Set(done.map((j) => j.result!.instance)).size).toBe(2);
    for (const f of fakes) expect(f.calls.views).toBe(done.filter((j) => j.result!.instance === idOf(f)).length);
  });

  it('should move a job of an idempotent template to the other server when its server dies mid-job', async () => {
    const submitted = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'text2img', params: { prompt: 'survive', steps: 40, width: 32, height: 32 } })
      .expect(202);
    const victim = await runningOn();
    const survivor = fakes.find((f) => f !== victim)!;
    await victim.kill();
    const done = await finished(submitted.body.id);
    expect(done.state).toBe('succeeded');
    expect(done.result).toMatchObject({ instance: idOf(survivor), submissions: 2 });
    await victim.revive();
    await eventually(() => victim.connectedClients().length === 1, {
      what: 'reconnected to the revived server',
      timeoutMs: 10_000,
    });
  });

  it('should fail a job of a plain workflow with COMFY.INSTANCE_LOST when its server dies mid-job', async () => {
    const submitted = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ workflow: WORKFLOW(99) })
      .expect(202);
    const victim = await runningOn();
    await victim.kill();
    const done = await finished(submitted.body.id);
    expect(done.state).toBe('failed');
    expect(done.problem?.code).toBe('COMFY.INSTANCE_LOST');
    expect(done.problem?.detail).toContain(idOf(victim));
    await victim.revive();
    await eventually(() => victim.connectedClients().length === 1, {
      what: 'reconnected to the revived server',
      timeoutMs: 10_000,
    });
  });
  it('should notice a server that restarted (and forgot the prompt) when its socket comes back, and fail the plain job', async () => {
    const submitted = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ workflow: WORKFLOW(123) })
      .expect(202);
    const victim = await runningOn();
    await victim.kill();
    await victim.revive();
    const done = await finished(submitted.body.id);
    expect(done.state).toBe('failed');
    expect(done.problem?.code).toBe('COMFY.INSTANCE_LOST');
    await eventually(() => victim.connectedClients().length === 1, {
      what: 'reconnected to the revived server',
      timeoutMs: 10_000,
    });
  });
});

describe('ComfyUI without any server configured (e2e)', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp({ env: { COMFY_URLS: '' } });
  });
  afterAll(() => app?.close());

  it('should answer 503 COMFY.UNAVAILABLE on the routes that need a server, and serve the rest', async () => {
    const http = () => request(app.getHttpServer());
    const res = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'text2img', params: { prompt: 'x' } })
      .expect(503);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.code).toBe('COMFY.UNAVAILABLE');
    expect(res.headers['retry-after']).toBeDefined();
    await http().get('/v1/comfy/models').set('authorization', VIEWER).expect(503);
    const templates = await http().get('/v1/comfy/templates').set('authorization', VIEWER).expect(200);
    expect(templates.body.templates.map((t: { name: string }) => t.name)).toEqual(['img2img', 'text2img']);
    await http().get('/v1/images').set('authorization', VIEWER).expect(200);
    const ready = await http().get('/health/ready');
    expect(ready.status).toBe(200);
  });
});
