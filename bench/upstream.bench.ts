/**
 * npm run bench:upstream — per-event latency of a streamed upstream response read through an
 * UpstreamPool (balancer, breaker, bulkhead, timeouts, guarded body, `lines()`), against the
 * same stream read with plain `fetch` and the same line splitting, in the same run.
 *
 * The upstream (child process) stamps each NDJSON line with the time it wrote it; the bench
 * records arrival − stamp per line. Direct and pooled rounds alternate so drift on a shared
 * machine hits both. Prints p50/p99 per mode, the added p99 (target ≤ 1 ms) and the ratio.
 * Env: BENCH_ROUNDS (6), BENCH_STREAMS (4 concurrent), BENCH_EVENTS (200 per stream), BENCH_GAP_MS (2).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { UpstreamPool } from '../src/platform/upstream/upstream-pool';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 4);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200);
const GAP_MS = Number(process.env.BENCH_GAP_MS ?? 2);
const ROOT = join(__dirname, '..');
const now = () => performance.timeOrigin + performance.now();

async function startUpstream(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/servers/ndjson-upstream.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`upstream exited with ${code}`)));
  });
  child.stdout.resume();
  return { child, url: `http://127.0.0.1:${port}` };
}

/** The same incremental line splitting UpstreamResponse.lines() does. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.length > 0) yield line;
    }
  }
}

const PATH = `/ndjson?n=${EVENTS}&gapMs=${GAP_MS}`;

async function direct(base: string, out: number[]): Promise<void> {
  const res = await fetch(base + PATH);
  for await (const line of lines(res.body!)) out.push(now() - (JSON.parse(line) as { t: number }).t);
}

async function pooled(pool: UpstreamPool, out: number[]): Promise<void> {
  const res = await pool.request({ path: PATH, requestId: 'bench' });
  for await (const line of res.lines()) out.push(now() - (JSON.parse(line) as { t: number }).t);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const upstream = await startUpstream();
  const pool = new UpstreamPool('bench', {
    instances: [{ url: upstream.url }],
    strategy: 'least-outstanding',
    maxConcurrentPerInstance: STREAMS * 2,
  });
  const samples = { direct: [] as number[], pool: [] as number[] };
  const roundP99 = { direct: [] as number[], pool: [] as number[] };
  try {
    // Warm both paths (JIT, connection pools).
    await Promise.all([direct(upstream.url, []), pooled(pool, [])]);
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? (['direct', 'pool'] as const) : (['pool', 'direct'] as const);
      for (const mode of order) {
        const out: number[] = [];
        await Promise.all(
          Array.from({ length: STREAMS }, () => (mode === 'direct' ? direct(upstream.url, out) : pooled(pool, out))),
        );
        samples[mode].push(...out);
        roundP99[mode].push(
          pct(
            [...out].sort((a, b) => a - b),
            99,
          ),
        );
      }
    }
  } finally {
    await pool.close();
    upstream.child.kill('SIGTERM');
  }
  // Per-round p99 differences (each pair ran back to back) are less exposed to machine noise.
  const diffs = roundP99.pool.map((v, i) => v - roundP99.direct[i]).sort((a, b) => a - b);
  const d = [...samples.direct].sort((a, b) => a - b);
  const p = [...samples.pool].sort((a, b) => a - b);
  const row = (name: string, s: number[]) =>
    `  ${name.padEnd(7)} events=${s.length}  p50=${pct(s, 50).toFixed(3)} ms  p99=${pct(s, 99).toFixed(3)} ms  max=${s[s.length - 1].toFixed(3)} ms\n`;
  process.stdout.write(
    `bench:upstream — ${ROUNDS} rounds × ${STREAMS} concurrent streams × ${EVENTS} events, ${GAP_MS} ms apart (node ${process.version})\n` +
      row('direct', d) +
      row('pool', p) +
      `  added by the pool: p50 ${(pct(p, 50) - pct(d, 50)).toFixed(3)} ms, p99 ${(pct(p, 99) - pct(d, 99)).toFixed(3)} ms` +
      ` (ratio p99 pool/direct ×${(pct(p, 99) / pct(d, 99)).toFixed(2)}); target added p99 ≤ 1 ms → ${
        pct(p, 99) - pct(d, 99) <= 1 ? 'met' : 'NOT met'
      }\n` +
      `  per-round p99 (pool − direct), median of ${diffs.length}: ${pct(diffs, 50).toFixed(3)} ms` +
      ` [${diffs.map((x) => x.toFixed(2)).join(', ')}]\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
