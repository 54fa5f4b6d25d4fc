import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { FakeComfyServer } from './fixtures/fake-comfyui';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { SseTestClient } from './support/sse-client';
import { bearer, TEST_AUTH, TEST_KEYS } from './support/test-credentials';

const VIEWER = bearer(TEST_AUTH.viewer);
const ADMIN = bearer(TEST_AUTH.admin);
const OTHER_TENANT = bearer(TEST_KEYS.globex.viewer);

interface JobBody {
  id: string;
  state: string;
  result?: { promptId: string; instance: string; images: { id: string; created: boolean; width: number }[] };
  problem?: { code: string; detail: string };
  progress?: { stage?: string };
}

describe('ComfyUI service against a fake ComfyUI (e2e)', () => {
  let app: NestExpressApplication;
  let base: string;
  let fake: FakeComfyServer;
  let dataDir: string;

  beforeAll(async () => {
    fake = await new FakeComfyServer({ stepDelayMs: 5, previews: true }).start();
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-comfy-e2e-'));
    app = await createTestApp({ env: { DATA_DIR: dataDir, COMFY_URLS: fake.url } });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    await eventually(() => fake.connectedClients().length === 1, { what: 'Fennec connected to the fake WebSocket' });
  });
  afterAll(async () => {
    await app?.close();
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const http = () => request(app.getHttpServer());
  const job = async (id: string, auth = VIEWER): Promise<JobBody> =>
    (await http().get(`/jobs/${id}`).set('authorization', auth)).body as JobBody;
  const finished = (id: string, auth = VIEWER) =>
    eventually(
      async () => {
        const j = await job(id, auth);
        return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
      },
      { timeoutMs: 20_000, what: `job ${id} finished` },
    );

  it('should run text2img as a job: progress over SSE, the images stored in the image store, and dedup on a repeat', async () => {
    const params = { prompt: 'a red fox in the snow', seed: 42, steps: 4, width: 64, height: 48 };
    const submitted = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'text2img', params })
      .expect(202);
    expect(submitted.headers.location).toBe(`/jobs/${submitted.body.id}`);
    const sse = new SseTestClient(`${base}/jobs/${submitted.body.id}/events`, ['state', 'progress'], {
      authorization: VIEWER,
    });
    await sse.until(() => sse.of('done').length === 1 || sse.of('error').length === 1, 20_000);
    const steps = sse
      .of('progress')
      .map((e) => e.data as { stage?: string; value: number; max?: number; preview?: string });
    expect(steps.filter((p) => p.stage === 'KSampler').map((p) => p.value)).toEqual([1, 2, 3, 4]);
    expect(steps.some((p) => p.preview?.startsWith('data:image/png;base64,'))).toBe(true);
    const done = sse.of('done')[0].data as { result: JobBody['result'] };
    expect(done.result?.images).toHaveLength(1);
    const image = done.result!.images[0];
    expect(image).toMatchObject({ created: true, width: 64 });
    const meta = await http().get(`/v1/images/${image.id}`).set('authorization', VIEWER).expect(200);
    expect(meta.body).toMatchObject({ source: 'comfy', width: 64, height: 48, format: 'png' });

    // The same prompt and seed make the same bytes: the store finds them instead of storing twice.
    const again = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'text2img', params })
      .expect(202);
    const second = await finished(again.body.id);
    expect(second.state).toBe('succeeded');
    expect(second.result?.images[0]).toMatchObject({ id: image.id, created: false });
  });

  it('should run img2img with an image from the store, uploaded to the server that runs the prompt', async () => {
    const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#3366aa' } })
      .png()
      .toBuffer();
    const uploaded = await http().post('/v1/images').set('authorization', VIEWER).attach('file', png, 'in.png');
    expect(uploaded.status).toBeLessThan(300);
    const imageId = (uploaded.body as { items: { image: { id: string } }[] }).items[0].image.id;
    const uploadsBefore = fake.calls.uploads;
    const submitted = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'img2img', params: { prompt: 'as a watercolour', image: imageId, steps: 2, denoise: 0.5 } })
      .expect(202);
    const done = await finished(submitted.body.id);
    expect(done.state).toBe('succeeded');
    expect(fake.calls.uploads).toBe(uploadsBefore + 1);
    expect(done.result?.images).toHaveLength(1);

    const missing = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'img2img', params: { prompt: 'x', image: '00000000-0000-4000-8000-000000000000' } })
      .expect(400);
    expect(missing.body.code).toBe('COMFY.INPUT_IMAGE_NOT_FOUND');
  });

  it('should reject bad workflows before submitting, naming node, class and input for each problem', async () => {
    const prompts = fake.calls.prompts;
    const workflow = {
      '3': {
        class_type: 'KSampler',
        inputs: {
          seed: 1,
          steps: 0,
          cfg: 8,
          sampler_name: 'euler_magic',
          scheduler: 'normal',
          denoise: 1,
          model: ['4', 0],
          positive: ['4', 1],
          negative: ['99', 0],
          latent_image: ['5', 0],
        },
      },
      '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'nope.safetensors' } },
      '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64 } },
      '6': { class_type: 'NoSuchNode', inputs: {} },
      '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'x', images: ['3', 0] } },
    };
    const res = await http().post('/v1/comfy/jobs').set('authorization', VIEWER).send({ workflow }).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('COMFY.INVALID_WORKFLOW');
    const errors = res.body.errors as { field: string; message: string }[];
    const byField = (f: string) => errors.find((e) => e.field === f)?.message ?? '';
    expect(byField('workflow.3.inputs.steps')).toMatch(/KSampler.*smaller than the minimum 1/);
    expect(byField('workflow.3.inputs.sampler_name')).toMatch(/"euler_magic" is not offered/);
    expect(byField('workflow.3.inputs.positive')).toMatch(
      /wants CONDITIONING but output 1 of node 4 \(CheckpointLoaderSimple\) is CLIP/,
    );
    expect(byField('workflow.3.inputs.negative')).toMatch(/node 99, which does not exist/);
    expect(byField('workflow.4.inputs.ckpt_name')).toMatch(/value_not_in_list/);
    expect(byField('workflow.5.inputs.batch_size')).toMatch(/required input is missing/);
    expect(byField('workflow.6')).toMatch(/NoSuchNode does not exist/);
    expect(fake.calls.prompts).toBe(prompts); // never sent

    const params = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'text2img', params: { steps: 'many', colour: 'red' } })
      .expect(400);
    expect(params.body.code).toBe('COMFY.INVALID_PARAMS');
    expect((params.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual([
      'params.colour',
      'params.prompt',
      'params.steps',
    ]);
  });

  it("should map ComfyUI's own node_errors (a check only the server can make) to a failed job naming the node", async () => {
    fake.options.forceNodeErrors = {
      '4': {
        class_type: 'CheckpointLoaderSimple',
        errors: [
          {
            type: 'custom_validation_failed',
            message: 'Custom validation failed for node',
            details: 'ckpt_name: file is corrupt',
            extra_info: { input_name: 'ckpt_name' },
          },
        ],
      },
    };
    try {
      const submitted = await http()
        .post('/v1/comfy/jobs')
        .set('authorization', VIEWER)
        .send({ template: 'text2img', params: { prompt: 'x', steps: 1 } })
        .expect(202);
      const done = await finished(submitted.body.id);
      expect(done.state).toBe('failed');
      expect(done.problem).toMatchObject({ code: 'COMFY.INVALID_WORKFLOW' });
      expect(done.problem?.detail).toMatch(/prompt_outputs_failed_validation/);
    } finally {
      fake.options.forceNodeErrors = undefined;
    }
  });

  it('should convert an editor (UI-format) workflow using object_info input order, seed control value included', async () => {
    const ui = {
      nodes: [
        { id: 4, type: 'CheckpointLoaderSimple', widgets_values: ['v1-5-pruned-emaonly.safetensors'], outputs: [] },
        { id: 5, type: 'EmptyLatentImage', widgets_values: [32, 32, 1] },
        {
          id: 6,
          type: 'CLIPTextEncode',
          inputs: [{ name: 'clip', type: 'CLIP', link: 3 }],
          widgets_values: ['a lighthouse'],
        },
        {
          id: 7,
          type: 'CLIPTextEncode',
          inputs: [{ name: 'clip', type: 'CLIP', link: 5 }],
          widgets_values: ['blurry'],
        },
        {
          id: 3,
          type: 'KSampler',
          inputs: [
            { name: 'model', type: 'MODEL', link: 1 },
            { name: 'positive', type: 'CONDITIONING', link: 4 },
            { name: 'negative', type: 'CONDITIONING', link: 6 },
            { name: 'latent_image', type: 'LATENT', link: 2 },
          ],
          widgets_values: [7, 'randomize', 3, 8, 'euler', 'normal', 1],
        },
        {
          id: 8,
          type: 'VAEDecode',
          inputs: [
            { name: 'samples', type: 'LATENT', link: 7 },
            { name: 'vae', type: 'VAE', link: 8 },
          ],
        },
        { id: 9, type: 'SaveImage', inputs: [{ name: 'images', type: 'IMAGE', link: 9 }], widgets_values: ['ui'] },
        { id: 10, type: 'Note', widgets_values: ['just a note'] },
      ],
      links: [
        [1, 4, 0, 3, 0, 'MODEL'],
        [2, 5, 0, 3, 3, 'LATENT'],
        [3, 4, 1, 6, 0, 'CLIP'],
        [4, 6, 0, 3, 1, 'CONDITIONING'],
        [5, 4, 1, 7, 0, 'CLIP'],
        [6, 7, 0, 3, 2, 'CONDITIONING'],
        [7, 3, 0, 8, 0, 'LATENT'],
        [8, 4, 2, 8, 1, 'VAE'],
        [9, 8, 0, 9, 0, 'IMAGE'],
      ],
    };
    const submitted = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ workflow: ui })
      .expect(202);
    const done = await finished(submitted.body.id);
    expect(done.state).toBe('succeeded');
    const sent = fake.history.get(done.result!.promptId)!.prompt as unknown[];
    const graph = sent[2] as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    expect(graph['3'].inputs).toEqual({
      seed: 7,
      steps: 3,
      cfg: 8,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    });
    expect(graph['10']).toBeUndefined();
    expect(done.result?.images[0]).toMatchObject({ width: 32 });
  });

  it('should cancel a queued prompt with POST /queue {delete} and leave the running one untouched; a running one with /interrupt {prompt_id}', async () => {
    fake.options.stepDelayMs = 40;
    try {
      const submit = async () =>
        (
          await http()
            .post('/v1/comfy/jobs')
            .set('authorization', VIEWER)
            .send({
              template: 'text2img',
              params: { prompt: 'slow', steps: 30, seed: Math.floor(Math.random() * 1e9) },
            })
            .expect(202)
        ).body.id as string;
      const first = await submit();
      await eventually(async () => fake.running !== undefined && (await job(first)).state === 'running', {
        what: 'first prompt running',
      });
      const runningPrompt = fake.running!;
      const second = await submit();
      await eventually(() => fake.pending.length === 1, { what: 'second prompt queued on the server' });
      const queuedPrompt = fake.pending[0];

      const q = await http().get('/v1/comfy/queue').set('authorization', bearer(TEST_AUTH.operator)).expect(200);
      expect(q.body.instances[0]).toMatchObject({ running: [runningPrompt], pending: [queuedPrompt] });

      await http().delete(`/jobs/${second}`).set('authorization', VIEWER).expect(202);
      expect((await finished(second)).state).toBe('cancelled');
      await eventually(() => fake.calls.deleted.includes(queuedPrompt), { what: 'queued prompt deleted' });
      expect(fake.calls.interrupts).toEqual([]);
      expect(fake.running).toBe(runningPrompt);

      await http().delete(`/jobs/${first}`).set('authorization', VIEWER).expect(202);
      expect((await finished(first)).state).toBe('cancelled');
      await eventually(() => fake.calls.interrupts.includes(runningPrompt), { what: 'running prompt interrupted' });
      expect(fake.calls.interrupts).toEqual([runningPrompt]);
      await eventually(() => fake.running === undefined, { what: 'fake idle' });
      expect(fake.executed).toContain(runningPrompt);
      expect(fake.executed).not.toContain(queuedPrompt);
    } finally {
      fake.options.stepDelayMs = 5;
    }
  });

  it('should fail a job with COMFY.EXECUTION_FAILED naming the node when ComfyUI raises', async () => {
    fake.options.failNodes = ['VAEDecode'];
    try {
      const submitted = await http()
        .post('/v1/comfy/jobs')
        .set('authorization', VIEWER)
        .send({ template: 'text2img', params: { prompt: 'x', steps: 1 } })
        .expect(202);
      const done = await finished(submitted.body.id);
      expect(done.state).toBe('failed');
      expect(done.problem?.code).toBe('COMFY.EXECUTION_FAILED');
      expect(done.problem?.detail).toMatch(/node 8 \(VAEDecode\).*CUDA out of memory/);
    } finally {
      fake.options.failNodes = [];
    }
  });

  it('should finish a job whose completion was sent while the WebSocket was down (history read after reconnecting)', async () => {
    fake.options.stepDelayMs = 30;
    try {
      const submitted = await http()
        .post('/v1/comfy/jobs')
        .set('authorization', VIEWER)
        .send({ template: 'text2img', params: { prompt: 'reconnect', steps: 10, seed: 777 } })
        .expect(202);
      await eventually(() => fake.running !== undefined, { what: 'prompt running' });
      const promptId = fake.running!;
      fake.refuseSockets = true;
      fake.dropSockets();
      await eventually(() => fake.history.has(promptId), {
        what: 'prompt finished while disconnected',
        timeoutMs: 10_000,
      });
      expect((await job(submitted.body.id)).state).toBe('running');
      fake.refuseSockets = false;
      const done = await finished(submitted.body.id);
      expect(done.state).toBe('succeeded');
      expect(done.result?.images).toHaveLength(1);
    } finally {
      fake.refuseSockets = false;
      fake.options.stepDelayMs = 5;
    }
  });

  it('should save versioned templates per tenant (global ones for admins only) and run them by name', async () => {
    const template = {
      name: 'fox-portrait',
      workflow: {
        '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' } },
        '5': { class_type: 'EmptyLatentImage', inputs: { width: 32, height: 32, batch_size: 2 } },
        '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a fox', clip: ['4', 1] } },
        '3': {
          class_type: 'KSampler',
          inputs: {
            seed: 1,
            steps: 2,
            cfg: 7,
            sampler_name: 'euler',
            scheduler: 'karras',
            denoise: 1,
            model: ['4', 0],
            positive: ['6', 0],
            negative: ['6', 0],
            latent_image: ['5', 0],
          },
        },
        '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
        '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'fox', images: ['8', 0] } },
      },
      params: {
        subject: { type: 'string', required: true, targets: [{ node: '6', input: 'text' }] },
        seed: { type: 'integer', default: 5, min: 0, max: 1000, targets: [{ node: '3', input: 'seed' }] },
      },
    };
    const v1 = await http().post('/v1/comfy/templates').set('authorization', VIEWER).send(template).expect(201);
    expect(v1.body).toMatchObject({ name: 'fox-portrait', version: 1, scope: 'acme' });
    const v2 = await http()
      .post('/v1/comfy/templates')
      .set('authorization', VIEWER)
      .send({ ...template, description: 'v2' })
      .expect(201);
    expect(v2.body.version).toBe(2);
    await http().get('/v1/comfy/templates/fox-portrait@1').set('authorization', VIEWER).expect(200);
    await http().get('/v1/comfy/templates/fox-portrait').set('authorization', OTHER_TENANT).expect(404);
    await http()
      .post('/v1/comfy/templates')
      .set('authorization', VIEWER)
      .send({ ...template, scope: 'global' })
      .expect(403);
    await http()
      .post('/v1/comfy/templates')
      .set('authorization', ADMIN)
      .send({ ...template, name: 'shared-fox', scope: 'global' })
      .expect(201);
    await http().get('/v1/comfy/templates/shared-fox').set('authorization', OTHER_TENANT).expect(200);

    const bad = await http()
      .post('/v1/comfy/templates')
      .set('authorization', VIEWER)
      .send({
        ...template,
        name: 'broken',
        params: { subject: { type: 'string', targets: [{ node: '42', input: 'text' }] } },
      })
      .expect(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'params.subject.targets.0' });

    const submitted = await http()
      .post('/v1/comfy/jobs')
      .set('authorization', VIEWER)
      .send({ template: 'fox-portrait', params: { subject: 'a fox at dusk' } })
      .expect(202);
    const done = await finished(submitted.body.id);
    expect(done.state).toBe('succeeded');
    expect(done.result?.images).toHaveLength(2);
  });

  it('should answer malformed requests with a 4xx problem, never a 500', async () => {
    const bodies: unknown[] = [
      {},
      { template: 'text2img', workflow: {} },
      { workflow: {}, params: {} },
      { template: 'TEXT2IMG' },
      { template: 'nope' },
      { template: 'text2img@9' },
      { template: 'text2img', params: { prompt: { $ne: 1 } } },
      { workflow: [] },
      { workflow: { nodes: [null, { id: {}, type: 1 }], links: 'x' } },
      {
        workflow: {
          nodes: [{ id: 1, type: 'KSampler', inputs: [{ name: 'model', link: 'x' }], widgets_values: null }],
          links: [],
        },
      },
      { workflow: { '1': null, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0] } } } },
      { workflow: { '1': { class_type: 'SaveImage', inputs: { images: [1, 2, 3], filename_prefix: {} } } } },
    ];
    for (const body of bodies) {
      const res = await http()
        .post('/v1/comfy/jobs')
        .set('authorization', VIEWER)
        .send(body as object);
      expect([res.status, body]).toEqual([expect.any(Number), body]);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    const templates: unknown[] = [
      { name: 'x', workflow: { nodes: [null], links: [] }, params: {} },
      { name: 'x', workflow: {}, params: { a: null } },
      {
        name: 'x',
        workflow: { '1': { class_type: 'SaveImage' } },
        params: { p: { type: 'string', default: 'a', targets: [{ node: '1', input: 'filename_prefix' }] } },
      },
    ];
    for (const body of templates) {
      const res = await http()
        .post('/v1/comfy/templates')
        .set('authorization', VIEWER)
        .send(body as object);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('should list models from object_info', async () => {
    const res = await http().get('/v1/comfy/models').set('authorization', VIEWER).expect(200);
    expect(res.body.checkpoints).toContain('v1-5-pruned-emaonly.safetensors');
    expect(res.body.loras).toEqual(['detail-tweaker.safetensors']);
    expect(res.body.samplers).toContain('dpmpp_2m');
    expect(res.body.schedulers).toContain('karras');
  });
});
