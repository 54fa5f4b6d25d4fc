/**
 * npm run bench:images — the image store's processing and serving paths, each against a baseline
 * in the same run:
 *
 * 1. Thumbnail throughput, 1024 px JPEG → 256 px WebP: Fennec's variant path (ImagesService.variant
 *    with the caches off, so every call renders: limiter, render, metrics) versus calling sharp
 *    directly on the same files, rounds interleaved, same concurrency. Target ≥ 0.8×.
 * 2. A cached variant over HTTP (the whole app in its own process, production settings, one log
 *    line per request) versus the same bytes served by `express.static`. Target ≥ 0.7×.
 * 3. 20 concurrent multipart uploads of distinct 24-megapixel JPEGs: the server's peak RSS growth
 *    (VmHWM, reset first through /proc/<pid>/clear_refs). Target ≤ 400 MB.
 * 4. A 50,000 × 50,000 PNG bomb (a few KB) refused over HTTP: median and worst time. Target ≤ 50 ms.
 *
 * Env: BENCH_THUMBS (200 per round), BENCH_ROUNDS (5), BENCH_SECONDS (10), BENCH_CONNECTIONS (20),
 * BENCH_CONCURRENCY (4).
 */
import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { MetricsConfig } from '../src/platform/metrics';
import { MetricsService } from '../src/platform/metrics';
import type { RuntimeConfigService } from '../src/platform/runtime-config';
import type { DataDirService } from '../src/platform/storage';
import type { ImageRecord } from '../src/services/images/image-record';
import type { ImagesConfig } from '../src/services/images/images.config';
import { ImagesService } from '../src/services/images/images.service';
import { ImagesSettings } from '../src/services/images/images.settings';
import { EmbeddedImageMetadataStore } from '../src/services/images/store/embedded-image-metadata-store';
import * as img from '../src/services/images/test-images.testing';
import { BENCH_KEY, fennecBenchEnv } from './support/fennec-env';
import { load, median, startServer, type BenchServer } from './support/http-load';

const THUMBS = Number(process.env.BENCH_THUMBS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const AUTH = { authorization: `Bearer ${BENCH_KEY}` };
const MB = 1024 * 1024;

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function thumbnails(dir: string): Promise<number> {
  const jpegs = await Promise.all(Array.from({ length: 8 }, (_, i) => img.jpeg(1024, 768, i, 85 + i)));
  const sources = await Promise.all(
    jpegs.map(async (bytes, i) => {
      const path = join(dir, `src-${i}.jpg`);
      await writeFile(path, bytes);
      return path;
    }),
  );
  const config = {
    maxPixels: 100_000_000,
    maxBytes: 50 * MB,
    maxFrames: 100,
    maxFilesPerRequest: 20,
    variantSizes: [256],
    outputFormats: ['webp'],
    transformMaxDimension: 4096,
    cacheMemoryBytes: 0,
    cacheDiskBytes: 0,
    fsync: false,
    maxConcurrentOperations: CONCURRENCY,
    uploadsPerMinute: 1e9,
    transformsPerMinute: 1e9,
  } as unknown as ImagesConfig;
  const service = new ImagesService(
    config,
    new EmbeddedImageMetadataStore({ dir: join(dir, 'meta'), fsync: false }),
    { get: () => new ImagesSettings() } as unknown as RuntimeConfigService,
    { path: dir } as DataDirService,
    new MetricsService({ defaultProcessMetrics: false } as unknown as MetricsConfig),
  );
  await service.start();
  // The same sources stored through the real ingest path; the variants then read their blobs.
  const records: ImageRecord[] = [];
  for (const bytes of jpegs) records.push((await service.put('bench', bytes, { source: 'upload' })).image);
  let salt = 0;
  const viaFennec = async () => {
    const started = performance.now();
    // A distinct quality per call: the render dedup of identical concurrent requests never helps.
    await pool(THUMBS, CONCURRENCY, (i) =>
      service.variant(records[i % records.length], {
        width: 256,
        fit: 'inside',
        format: 'webp',
        quality: 80 + (salt++ % 10),
      }),
    );
    return THUMBS / ((performance.now() - started) / 1000);
  };
  const viaSharp = async () => {
    const started = performance.now();
    await pool(THUMBS, CONCURRENCY, (i) =>
      sharp(sources[i % sources.length])
        .rotate()
        .resize(256, undefined, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 + (i % 10) })
        .toBuffer(),
    );
    return THUMBS / ((performance.now() - started) / 1000);
  };
  await viaSharp();
  await viaFennec(); // warm-up
  const fennec: number[] = [];
  const direct: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Which goes first alternates, so drift on a shared machine hits both alike.
    let f: number;
    let d: number;
    if (r % 2) {
      f = await viaFennec();
      d = await viaSharp();
    } else {
      d = await viaSharp();
      f = await viaFennec();
    }
    fennec.push(f);
    direct.push(d);
    ratios.push(f / d);
  }
  await service.stop();
  const ratio = median(ratios);
  console.log(
    `thumbnails 1024→256 webp (${ROUNDS} rounds × ${THUMBS}, concurrency ${CONCURRENCY}): sharp ${median(direct).toFixed(1)}/s, Fennec ${median(fennec).toFixed(1)}/s, median ratio ${ratio.toFixed(2)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(' ')}; target ≥ 0.8)`,
  );
  return ratio;
}

const form = (files: { bytes: Buffer; name: string }[]) => {
  const f = new FormData();
  for (const file of files) f.append('file', new Blob([file.bytes]), file.name);
  return f;
};

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fennec-bench-images-'));
  try {
    await thumbnails(dir);

    const env = { ...fennecBenchEnv(), DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'info' };
    const fennec = await startServer('images', 'bench/servers/images-fennec-server.ts', env, '');
    const staticDir = join(dir, 'static');
    const baseline = await startServer('static', 'bench/servers/static-server.ts', { STATIC_DIR: staticDir }, '');
    try {
      // 2. A cached variant over HTTP vs express.static.
      const upload = await fetch(`${fennec.url}/v1/images`, {
        method: 'POST',
        headers: AUTH,
        body: form([{ bytes: await img.jpeg(1024, 768, 1), name: 'a.jpg' }]),
      });
      const id = ((await upload.json()) as { items: { image: { id: string } }[] }).items[0].image.id;
      const variantPath = `/v1/images/${id}/content?w=256&format=webp`;
      const warm = await fetch(`${fennec.url}${variantPath}`, { headers: AUTH });
      const bytes = Buffer.from(await warm.arrayBuffer());
      await rm(staticDir, { recursive: true, force: true });
      await (await import('node:fs/promises')).mkdir(staticDir, { recursive: true });
      writeFileSync(join(staticDir, 'thumb.webp'), bytes);
      const f: BenchServer = { ...fennec, url: `${fennec.url}${variantPath}` };
      const s: BenchServer = { ...baseline, url: `${baseline.url}/thumb.webp` };
      await load(f, 2, CONNECTIONS, AUTH);
      await load(s, 2, CONNECTIONS);
      const fr: number[] = [];
      const sr: number[] = [];
      const fcpu: number[] = [];
      const scpu: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        // Which goes first alternates, so drift on a shared machine hits both alike.
        const order = r % 2 ? [f, s] : [s, f];
        for (const target of order) {
          const sample = await load(target, SECONDS, CONNECTIONS, target === f ? AUTH : {});
          if (sample.non2xx || sample.errors) throw new Error(`failed requests: ${JSON.stringify(sample)}`);
          (target === f ? fr : sr).push(sample.rps);
          (target === f ? fcpu : scpu).push(sample.cpuUsPerReq);
        }
      }
      console.log(
        `cached variant (${bytes.length} B) over HTTP, ${CONNECTIONS} connections, ${ROUNDS} × ${SECONDS} s: express.static ${median(sr).toFixed(0)} req/s (${median(scpu).toFixed(0)} µs CPU/req), Fennec ${median(fr).toFixed(0)} req/s (${median(fcpu).toFixed(0)} µs CPU/req), throughput ratio ${(median(fr) / median(sr)).toFixed(2)} (target ≥ 0.7), CPU ratio ${(median(scpu) / median(fcpu)).toFixed(2)}`,
      );

      // 3. 20 concurrent uploads of 24-megapixel JPEGs: peak RSS growth of the server.
      // Gaussian noise over the scene: photo-like entropy, so each file is the size of a real photo.
      const noise = await sharp({
        create: {
          width: 6000,
          height: 4000,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128, sigma: 24 },
        },
      })
        .raw()
        .toBuffer();
      const scene = await img.scene(6000, 4000, 2).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      for (let i = 0; i < noise.length; i++) scene.data[i] = Math.min(255, Math.max(0, scene.data[i] + noise[i] - 128));
      const big = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          sharp(scene.data, { raw: scene.info })
            .jpeg({ quality: 70 + i })
            .toBuffer(),
        ),
      );
      const pid = fennec.child.pid!;
      const before = rssKb(pid, 'VmRSS');
      writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
      const started = performance.now();
      const results = await Promise.all(
        big.map((bytes, i) =>
          fetch(`${fennec.url}/v1/images`, {
            method: 'POST',
            headers: AUTH,
            body: form([{ bytes, name: `${i}.jpg` }]),
          }),
        ),
      );
      const elapsed = performance.now() - started;
      const statuses = results.map((r) => r.status);
      const peak = rssKb(pid, 'VmHWM');
      console.log(
        `20 concurrent uploads of 24 MP JPEGs (${(big.reduce((n, b) => n + b.length, 0) / MB).toFixed(1)} MB): statuses ${[...new Set(statuses)].join(',')}, ${elapsed.toFixed(0)} ms; RSS before ${(before / 1024).toFixed(0)} MB, peak ${(peak / 1024).toFixed(0)} MB, growth ${((peak - before) / 1024).toFixed(0)} MB (target ≤ 400)`,
      );

      // 4. A decompression bomb refused over HTTP.
      const bomb = img.pngBomb();
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        const res = await fetch(`${fennec.url}/v1/images`, {
          method: 'POST',
          headers: AUTH,
          body: form([{ bytes: bomb, name: 'b.png' }]),
        });
        await res.arrayBuffer();
        times.push(performance.now() - t);
        if (res.status !== 413) throw new Error(`bomb answered ${res.status}`);
      }
      console.log(
        `PNG bomb 50,000² (${bomb.length} B) refused (413): median ${median(times).toFixed(1)} ms, worst ${Math.max(...times).toFixed(1)} ms (target ≤ 50)`,
      );
    } finally {
      fennec.child.kill('SIGTERM');
      baseline.child.kill('SIGTERM');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
