/**
 * npm run bench:diffusion — 1,000 generation jobs queued at once over three fake AUTOMATIC1111
 * instances (test/fixtures/fake-a1111: serial like the real server, real PNGs made with sharp),
 * through Fennec (`POST /v1/diffusion/jobs` in batches of 100, platform jobs on the embedded
 * backend, one generation per instance at a time, progress polls, every image into the image
 * store) against the baseline of the same 1,000 `txt2img` calls sent straight to the fakes by
 * three serial workers, in the same run. Checks that no job is lost, that the instances' shares
 * are within 10 % of even and that no instance ever ran two generations at once; prints Fennec's
 * overhead per job and the wall-time ratio.
 * Env: BENCH_JOBS (1000), BENCH_STEPS (5 steps per job), BENCH_STEP_MS (2), BENCH_SIZE (64 px).
 */
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_INFO } from '../src/app.info';
import { AppModule } from '../src/app.module';
import { configurePlatformApp } from '../src/platform/configure-app';
import { JobsService } from '../src/platform/jobs/jobs.service';
import type { JobEvent, JobStateEventData } from '../src/platform/jobs/job.types';
import { FakeA1111 } from '../test/fixtures/fake-a1111';
import { BENCH_KEY, fennecBenchEnv } from './support/fennec-env';

const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const STEP_MS = Number(process.env.BENCH_STEP_MS ?? 2);
const SIZE = Number(process.env.BENCH_SIZE ?? 64);
const INSTANCES = 3;
const BATCH = 100;

const body = (i: number) => ({
  prompt: `bench prompt ${i}`,
  negative_prompt: '',
  steps: STEPS,
  cfg_scale: 7,
  width: SIZE,
  height: SIZE,
  sampler_name: 'Euler a',
  seed: i,
  batch_size: 1,
  n_iter: 1,
  send_images: true,
  save_images: false,
});

/** The baseline: each instance's worker sends its share of the jobs one after another. */
async function direct(fakes: FakeA1111[]): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    fakes.map(async (fake) => {
      while (next < JOBS) {
        const i = next++;
        const res = await fetch(`${fake.url}/sdapi/v1/txt2img`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body(i)),
        });
        const json = (await res.json()) as { images: string[] };
        if (json.images.length !== 1) throw new Error('direct call returned no image');
      }
    }),
  );
  return performance.now() - t0;
}

interface FennecRun {
  ms: number;
  succeeded: number;
  failed: number;
  /** Mean time from a job's `running` to its `succeeded` event (inside the handler, store included). */
  meanRunMs: number;
  /** Jobs that found no idle instance when they started. */
  waited: number;
}

async function throughFennec(fakes: FakeA1111[]): Promise<FennecRun> {
  const dir = mkdtempSync(join(tmpdir(), 'fennec-diffusion-bench-'));
  Object.assign(process.env, fennecBenchEnv(), {
    DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    JOBS_BACKEND: 'embedded',
    DIFFUSION_URLS: fakes.map((f) => f.url).join(','),
    DIFFUSION_PROGRESS_INTERVAL_MS: '50',
    DIFFUSION_REQUESTS_PER_MINUTE: '100000',
  });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  let succeeded = 0;
  let failed = 0;
  let waited = 0;
  let runMs = 0;
  const startedAt = new Map<string, number>();
  let finished!: () => void;
  const all = new Promise<void>((r) => (finished = r));
  await app.get(JobsService).onAnyJobEvent((e: JobEvent) => {
    if (e.type === 'progress') {
      if ((e.data as { stage?: string }).stage === 'waiting') waited++;
      return;
    }
    const { state } = e.data as JobStateEventData;
    if (state === 'running') startedAt.set(e.jobId, e.at);
    if (state === 'succeeded') {
      succeeded++;
      runMs += e.at - (startedAt.get(e.jobId) ?? e.at);
    } else if (state === 'failed' || state === 'cancelled') failed++;
    else return;
    if (succeeded + failed === JOBS) finished();
  });
  const t0 = performance.now();
  for (let start = 0; start < JOBS; start += BATCH) {
    const prompts = Array.from({ length: Math.min(BATCH, JOBS - start) }, (_, k) => ({
      prompt: `bench prompt ${start + k}`,
      seed: start + k,
    }));
    const res = await fetch(`http://127.0.0.1:${port}/v1/diffusion/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompts, steps: STEPS, width: SIZE, height: SIZE, sampler: 'Euler a' }),
    });
    if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  }
  await all;
  const ms = performance.now() - t0;
  await app.close();
  rmSync(dir, { recursive: true, force: true });
  return { ms, succeeded, failed, meanRunMs: runMs / Math.max(1, succeeded), waited };
}

async function main(): Promise<void> {
  const fakes = await Promise.all(Array.from({ length: INSTANCES }, () => FakeA1111.start({ stepMs: STEP_MS })));
  const directMs = await direct(fakes);
  const before = fakes.map((f) => f.generations.length);
  for (const f of fakes) f.maxConcurrentGenerations = 0;
  const fennec = await throughFennec(fakes);
  const shares = fakes.map((f, i) => f.generations.length - before[i]);
  const even = JOBS / INSTANCES;
  const worst = Math.max(...shares.map((s) => Math.abs(s - even) / even));
  const perJob = (ms: number) => (ms * INSTANCES) / JOBS;
  console.log(
    `diffusion bench: ${JOBS} jobs, ${INSTANCES} fake instances, ${STEPS} steps × ${STEP_MS} ms, ${SIZE}×${SIZE} px`,
  );
  console.log(
    `  direct to the fakes:  ${(directMs / 1000).toFixed(2)} s wall, ${perJob(directMs).toFixed(2)} ms per job per instance`,
  );
  console.log(
    `  through Fennec:       ${(fennec.ms / 1000).toFixed(2)} s wall, ${perJob(fennec.ms).toFixed(2)} ms per job per instance`,
  );
  console.log(
    `  Fennec overhead:      ${(perJob(fennec.ms) - perJob(directMs)).toFixed(2)} ms per job (queue, reservation, progress polls, image store); wall ratio ×${(fennec.ms / directMs).toFixed(2)}`,
  );
  console.log(
    `  jobs: ${fennec.succeeded} succeeded, ${fennec.failed} failed, ${JOBS - fennec.succeeded - fennec.failed} lost`,
  );
  console.log(
    `  inside a job (running → succeeded): ${fennec.meanRunMs.toFixed(2)} ms mean; jobs that waited for an instance: ${fennec.waited}`,
  );
  console.log(`  spread: ${shares.join(' / ')} (worst ${(worst * 100).toFixed(1)} % from even; target ≤ 10 %)`);
  console.log(
    `  most generations at once on one instance: ${Math.max(...fakes.map((f) => f.maxConcurrentGenerations))} (must be 1)`,
  );
  await Promise.all(fakes.map((f) => f.close()));
  const ok = fennec.succeeded === JOBS && worst <= 0.1 && fakes.every((f) => f.maxConcurrentGenerations === 1);
  if (!ok) process.exitCode = 1;
}

void main();
