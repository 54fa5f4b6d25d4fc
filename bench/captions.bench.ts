/**
 * Captions: what Fennec adds per caption on top of the model call.
 *
 * Baseline: the client already holds a JPEG a vision model reads (≤ 1024 px) and posts it to
 * Ollama's `/api/chat` itself. Fennec: `POST /v1/images/:id/captions` on the whole app (auth,
 * logs, the LLM gateway's pool), which reads the stored 1600 × 1200 JPEG, converts and downsizes
 * it, calls the same model, runs the checks and writes the caption to the image record; then the
 * same images as one `POST /v1/captions/batch` job. The model is the fake Ollama (answers at once
 * after decoding the image), so the difference is Fennec's own cost. Same run, alternating order.
 *
 *   npm run bench:captions        (BENCH_IMAGES=40 BENCH_ROUNDS=3)
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as img from '../src/services/images/test-images.testing';
import { FakeOllama } from '../test/fixtures/fake-ollama';
import { BENCH_KEY, fennecBenchEnv } from './support/fennec-env';
import { median, startServer } from './support/http-load';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 40);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = 2;
const AUTH = { authorization: `Bearer ${BENCH_KEY}`, 'content-type': 'application/json' };

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fennec-bench-captions-'));
  const fake = await FakeOllama.start();
  const env = {
    ...fennecBenchEnv(),
    DATA_DIR: join(dir, 'data'),
    OLLAMA_URLS: fake.url,
    CAPTIONS_PER_MINUTE: '1000000',
    CAPTIONS_CONCURRENCY_PER_MODEL: String(CONCURRENCY),
    HTTP_BODY_LIMIT: '64mb',
  };
  const fennec = await startServer('captions', 'bench/servers/images-fennec-server.ts', env, '');
  try {
    const originals = await Promise.all(Array.from({ length: IMAGES }, (_, i) => img.jpeg(1600, 1200 + i, i % 4)));
    const ids: string[] = [];
    for (let i = 0; i < IMAGES; i += 10) {
      const res = await fetch(`${fennec.url}/v1/images`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({ images: originals.slice(i, i + 10).map((b) => ({ data: b.toString('base64') })) }),
      });
      ids.push(...((await res.json()) as { items: { image: { id: string } }[] }).items.map((x) => x.image.id));
    }
    // What the baseline client sends: the images already converted as a vision model needs them.
    const ready = await Promise.all(
      originals.map(async (b) =>
        (await sharp(b).resize(1024, 1024, { fit: 'inside' }).jpeg().toBuffer()).toString('base64'),
      ),
    );

    const direct = () =>
      pool(IMAGES, CONCURRENCY, async (i) => {
        const res = await fetch(`${fake.url}/api/chat`, {
          method: 'POST',
          body: JSON.stringify({
            model: 'llava:7b',
            stream: false,
            messages: [{ role: 'user', content: 'Describe this image.', images: [ready[i]] }],
          }),
        });
        if (res.status !== 200) throw new Error(`direct ${res.status}`);
        await res.json();
      });
    const single = () =>
      pool(IMAGES, CONCURRENCY, async (i) => {
        const res = await fetch(`${fennec.url}/v1/images/${ids[i]}/captions`, {
          method: 'POST',
          headers: AUTH,
          body: '{}',
        });
        if (res.status !== 200) throw new Error(`caption ${res.status}: ${await res.text()}`);
        await res.json();
      });
    const batch = async () => {
      const res = await fetch(`${fennec.url}/v1/captions/batch`, {
        method: 'POST',
        headers: AUTH,
        body: JSON.stringify({ ids }),
      });
      const { id } = (await res.json()) as { id: string };
      for (;;) {
        const job = (await (await fetch(`${fennec.url}/jobs/${id}`, { headers: AUTH })).json()) as { state: string };
        if (job.state === 'succeeded') return;
        if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`batch ${job.state}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    await single(); // warm-up (JIT, connections, model "load")
    const rows: { direct: number; single: number; batch: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['direct', 'single', 'batch'] : ['batch', 'single', 'direct'];
      const row = { direct: 0, single: 0, batch: 0 };
      for (const which of order) {
        const seconds = await timed(which === 'direct' ? direct : which === 'single' ? single : batch);
        row[which as keyof typeof row] = IMAGES / seconds;
      }
      rows.push(row);
      console.log(
        `round ${round + 1}: direct ${row.direct.toFixed(1)}/s, single ${row.single.toFixed(1)}/s, batch ${row.batch.toFixed(1)}/s`,
      );
    }
    const d = median(rows.map((r) => r.direct));
    const s = median(rows.map((r) => r.single));
    const b = median(rows.map((r) => r.batch));
    const overheadMs = (1 / s - 1 / d) * 1000 * CONCURRENCY;
    console.log(`\ncaptions of ${IMAGES} 1600x1200 JPEGs, concurrency ${CONCURRENCY}, median of ${ROUNDS} rounds`);
    console.log(`direct /api/chat with ready JPEGs: ${d.toFixed(1)} captions/s`);
    console.log(`POST /v1/images/:id/captions:       ${s.toFixed(1)} captions/s  ratio ${(s / d).toFixed(2)}`);
    console.log(`POST /v1/captions/batch (one job):  ${b.toFixed(1)} captions/s  ratio ${(b / d).toFixed(2)}`);
    console.log(`Fennec's cost per caption (convert, checks, store, HTTP): ${overheadMs.toFixed(1)} ms`);
  } finally {
    fennec.child.kill('SIGTERM');
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
