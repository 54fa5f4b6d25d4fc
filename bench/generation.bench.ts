/**
 * npm run bench:generation — the ComfyUI service against fake ComfyUI servers in this process.
 *
 * 1. Progress latency: a KSampler of BENCH_STEPS steps (BENCH_STEP_MS apart) on one fake. Baseline:
 *    a WebSocket client reading the fake's `progress` messages directly (its own prompt, its own
 *    client id). Fennec: the same workflow as a job, its `progress` events read from
 *    `GET /jobs/{id}/events` (SSE). Both measured from the moment the fake sent the message;
 *    rounds alternate; prints p50/p99 of both and the p99 Fennec adds (target ≤ 5 ms).
 * 2. Queued jobs: BENCH_JOBS (1,000) one-step prompts over three fakes, 64 in flight, sent
 *    directly (round robin, each awaited on the fake's WebSocket, then its history read) and as
 *    Fennec jobs (HTTP submit, completion from the jobs WebSocket); prints jobs lost, the spread
 *    over the fakes against an even share (target within 10 %) and Fennec's overhead per job
 *    ((Fennec wall time - direct wall time) / jobs).
 */
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { APP_INFO } from '../src/app.info';
import { AppModule } from '../src/app.module';
import { configurePlatformApp } from '../src/platform/configure-app';
import { JobKindRegistry } from '../src/platform/jobs/job-kind-registry';
import { JobsService } from '../src/platform/jobs/jobs.service';
import { FakeComfyServer } from '../test/fixtures/fake-comfyui';
import { BENCH_KEY, fennecBenchEnv } from './support/fennec-env';

const STEPS = Number(process.env.BENCH_STEPS ?? 150);
const STEP_MS = Number(process.env.BENCH_STEP_MS ?? 25);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const IN_FLIGHT = 64;
const AUTH = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };

function workflow(steps: number, seed: number, output: 'SaveImage' | 'PreviewImage') {
  return {
    '3': {
      class_type: 'KSampler',
      inputs: {
        seed,
        steps,
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
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 16, height: 16, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: 'bench', clip: ['4', 1] } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': {
      class_type: output,
      inputs: output === 'SaveImage' ? { images: ['8', 0], filename_prefix: 'b' } : { images: ['8', 0] },
    },
  };
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

/** A WebSocket client of one fake with its own client id; resolves prompts on `executing` null. */
class DirectClient {
  private readonly done = new Map<string, () => void>();
  onProgress?: (value: number, at: number) => void;
  private constructor(
    readonly fake: FakeComfyServer,
    readonly ws: WebSocket,
    readonly clientId: string,
  ) {
    ws.on('message', (data, binary) => {
      if (binary) return;
      const m = JSON.parse((data as Buffer).toString('utf8')) as {
        type: string;
        data: { node?: string | null; prompt_id?: string; value?: number };
      };
      if (m.type === 'progress') this.onProgress?.(m.data.value!, performance.now());
      if (m.type === 'executing' && m.data.node === null) this.done.get(m.data.prompt_id!)?.();
    });
  }

  static async open(fake: FakeComfyServer, clientId: string): Promise<DirectClient> {
    const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    return new DirectClient(fake, ws, clientId);
  }

  /** POST /prompt, wait for the end on the socket, read the history entry (what Fennec does per job). */
  async run(prompt: unknown): Promise<void> {
    const promptId = crypto.randomUUID();
    const finished = new Promise<void>((r) => this.done.set(promptId, r));
    const res = await fetch(`${this.fake.url}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, client_id: this.clientId, prompt_id: promptId }),
    });
    if (res.status !== 200) throw new Error(`prompt rejected: ${await res.text()}`);
    await finished;
    this.done.delete(promptId);
    await (await fetch(`${this.fake.url}/history/${promptId}`)).json();
  }
}

async function bootFennec(urls: string[], dir: string): Promise<{ app: NestExpressApplication; base: string }> {
  Object.assign(process.env, fennecBenchEnv(), {
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    JOBS_BACKEND: 'embedded',
    COMFY_URLS: urls.join(','),
    COMFY_PREVIEWS: 'false',
    COMFY_JOBS_PER_MINUTE: '1000000',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bodyParser: false,
    bufferLogs: true,
  });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  // Wait until every fake has Fennec's WebSocket.
  return { app, base };
}

async function submit(base: string, body: unknown): Promise<string> {
  const res = await fetch(`${base}/v1/comfy/jobs`, { method: 'POST', headers: AUTH, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Reads a job's SSE stream; calls `onProgress` per KSampler progress event; resolves on the terminal event. */
async function followSse(
  base: string,
  jobId: string,
  onProgress: (value: number, at: number) => void,
): Promise<string> {
  const res = await fetch(`${base}/jobs/${jobId}/events`, { headers: AUTH });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return 'eof';
    const at = performance.now();
    buf += decoder.decode(chunk.value, { stream: true });
    let end: number;
    while ((end = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, end);
      buf = buf.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event === 'progress' && data) {
        const p = JSON.parse(data) as { stage?: string; value: number };
        if (p.stage === 'KSampler') onProgress(p.value, at);
      }
      if (event === 'done' || event === 'error') {
        await reader.cancel();
        return event;
      }
    }
  }
}

async function progressLatency(): Promise<void> {
  let sent = new Map<number, number>();
  const fake = await new FakeComfyServer({
    stepDelayMs: STEP_MS,
    onProgressSent: (_id, value, at) => sent.set(value, at),
  }).start();
  const dir = mkdtempSync(join(tmpdir(), 'fennec-generation-bench-'));
  const { app, base } = await bootFennec([fake.url], dir);
  while (fake.connectedClients().length === 0) await new Promise((r) => setTimeout(r, 10));
  const direct = await DirectClient.open(fake, 'bench-direct');
  const lat = { direct: [] as number[], fennec: [] as number[], platform: [] as number[] };
  // The platform alone: a job kind whose handler reports the same progress itself (no ComfyUI).
  app.get(JobKindRegistry).register({ name: 'bench.progress', timeoutMs: 600_000 }, async (_p, ctx) => {
    await new Promise((r) => setTimeout(r, 100)); // let the SSE reader subscribe
    for (let i = 1; i <= STEPS; i++) {
      await new Promise((r) => setTimeout(r, STEP_MS));
      sent.set(i, performance.now());
      ctx.progress({ value: i, max: STEPS, stage: 'KSampler' });
    }
    return null;
  });
  for (let round = 1; round <= ROUNDS; round++) {
    sent = new Map();
    direct.onProgress = (value, at) => lat.direct.push(at - sent.get(value)!);
    await direct.run(workflow(STEPS, round, 'PreviewImage'));
    direct.onProgress = undefined;
    sent = new Map();
    const id = await submit(base, { workflow: workflow(STEPS, 1000 + round, 'PreviewImage') });
    const end = await followSse(base, id, (value, at) => lat.fennec.push(at - sent.get(value)!));
    if (end !== 'done') throw new Error(`job ${id} ended with ${end}`);
    sent = new Map();
    const { job } = await app
      .get(JobsService)
      .submit('bench.progress', {}, { id: 'bench', kind: 'api-key', roles: ['viewer'], tenant: 'bench' });
    await followSse(base, job.id, (value, at) => lat.platform.push(at - sent.get(value)!));
    console.log(`round ${round}: ${STEPS} progress events each way`);
  }
  direct.ws.close();
  await app.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
  const [d50, d99, f50, f99] = [
    pct(lat.direct, 0.5),
    pct(lat.direct, 0.99),
    pct(lat.fennec, 0.5),
    pct(lat.fennec, 0.99),
  ];
  console.log(`progress event from the fake's send:`);
  console.log(
    `  direct WebSocket reader  (${lat.direct.length} events): p50 ${d50.toFixed(2)} ms, p99 ${d99.toFixed(2)} ms`,
  );
  console.log(
    `  Fennec job SSE reader    (${lat.fennec.length} events): p50 ${f50.toFixed(2)} ms, p99 ${f99.toFixed(2)} ms`,
  );
  const [p50, p99] = [pct(lat.platform, 0.5), pct(lat.platform, 0.99)];
  console.log(
    `  (platform alone: handler ctx.progress() -> SSE reader, ${lat.platform.length} events: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms)`,
  );
  console.log(
    `  added by Fennec: p50 ${(f50 - d50).toFixed(2)} ms, p99 ${(f99 - d99).toFixed(2)} ms (target ≤ 5 ms p99) ratio p99 ${(f99 / d99).toFixed(1)}x`,
  );
}

/** Completion of many jobs from the jobs WebSocket (one socket, `subscribe all`). */
async function jobsSocket(
  base: string,
): Promise<{ ws: WebSocket; ended: Map<string, string>; waitFor: (n: number) => Promise<void> }> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/jobs/ws`, { headers: { authorization: AUTH.authorization } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const ended = new Map<string, string>();
  let waiter: { n: number; resolve: () => void } | undefined;
  ws.on('message', (data) => {
    // `subscribe all` carries `event` messages; a terminal `state` event ends a job.
    const m = JSON.parse((data as Buffer).toString('utf8')) as {
      type: string;
      job?: string;
      event?: string;
      data?: { state?: string };
    };
    const state = m.type === 'event' && m.event === 'state' ? m.data?.state : undefined;
    if (m.job && (state === 'succeeded' || state === 'failed' || state === 'cancelled')) {
      ended.set(m.job, state);
      if (waiter && ended.size >= waiter.n) waiter.resolve();
    }
  });
  ws.send(JSON.stringify({ type: 'subscribe', all: true }));
  return {
    ws,
    ended,
    waitFor: (n) => (ended.size >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }))),
  };
}

async function queuedJobs(): Promise<void> {
  const fakes = await Promise.all([0, 1, 2].map(() => new FakeComfyServer({ stepDelayMs: 0 }).start()));
  const dir = mkdtempSync(join(tmpdir(), 'fennec-generation-bench-'));

  // Direct: round robin over the fakes, IN_FLIGHT prompts at once.
  const clients = await Promise.all(fakes.map((f, i) => DirectClient.open(f, `bench-direct-${i}`)));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < JOBS) {
        const n = next++;
        await clients[n % clients.length].run(workflow(1, n, 'SaveImage'));
      }
    }),
  );
  const directMs = performance.now() - t0;
  clients.forEach((c) => c.ws.close());
  const before = fakes.map((f) => f.executed.length);

  const { app, base } = await bootFennec(
    fakes.map((f) => f.url),
    dir,
  );
  while (fakes.some((f) => f.connectedClients().length === 0)) await new Promise((r) => setTimeout(r, 10));
  const follower = await jobsSocket(base);
  const t1 = performance.now();
  const ids: string[] = [];
  let submitted = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (submitted < JOBS) {
        const n = submitted++;
        ids.push(await submit(base, { workflow: workflow(1, 100_000 + n, 'SaveImage') }));
      }
    }),
  );
  const ticker = setInterval(() => {
    const states = fakes.map((f) => `${f.executed.length}/${f.pending.length}/${f.running ? 1 : 0}`).join(' ');
    console.log(`  … ${follower.ended.size}/${JOBS} jobs ended; fakes executed/pending/running ${states}`);
  }, 5_000);
  await follower.waitFor(JOBS);
  clearInterval(ticker);
  const fennecMs = performance.now() - t1;
  follower.ws.close();
  const succeeded = ids.filter((id) => follower.ended.get(id) === 'succeeded').length;
  const perFake = fakes.map((f, i) => f.executed.length - before[i]);
  await app.close();
  await Promise.all(fakes.map((f) => f.close()));
  rmSync(dir, { recursive: true, force: true });

  const even = JOBS / fakes.length;
  const spread = Math.max(...perFake.map((n) => Math.abs(n - even) / even));
  console.log(
    `\n${JOBS} queued jobs over ${fakes.length} fake ComfyUI servers (${IN_FLIGHT} in flight, one-step prompts, 16×16 PNG each):`,
  );
  console.log(
    `  direct (POST /prompt + WebSocket + history): ${directMs.toFixed(0)} ms, ${(directMs / JOBS).toFixed(2)} ms/job`,
  );
  console.log(
    `  Fennec (job submit + validation + prompt + progress + /view + image store): ${fennecMs.toFixed(0)} ms, ${(fennecMs / JOBS).toFixed(2)} ms/job`,
  );
  console.log(
    `  succeeded ${succeeded}/${JOBS}, lost ${JOBS - succeeded}; per server ${perFake.join(' / ')}; max deviation from even ${(spread * 100).toFixed(1)} % (target ≤ 10 %)`,
  );
  console.log(
    `  Fennec's overhead per job: ${((fennecMs - directMs) / JOBS).toFixed(2)} ms (ratio ${(fennecMs / directMs).toFixed(2)}x)`,
  );
}

async function main(): Promise<void> {
  if (process.env.BENCH_PART !== 'jobs') await progressLatency();
  if (process.env.BENCH_PART === 'progress') return;
  await queuedJobs();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
