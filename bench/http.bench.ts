/**
 * npm run bench:http — HTTP overhead of the Fennec platform stack over bare NestJS (Express).
 *
 * Starts both servers as child processes, loads each alternately with autocannon (several rounds,
 * so drift on a shared machine hits both alike), and prints req/s, p50/p99 and Fennec/bare.
 * Env: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CONNECTIONS (50).
 */
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BENCH_KEY = 'bench-key-0123456789abcdef';
const ROOT = join(__dirname, '..');

interface Server {
  name: string;
  child: ChildProcess;
  url: string;
}

async function start(name: string, script: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  child.stdout.resume();
  const path = name === 'fennec' ? (process.env.BENCH_PATH ?? '/bench/ping') : '/bench/ping';
  return { name, child, url: `http://127.0.0.1:${port}${path}?name=fennec` };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

interface Sample {
  /** Server CPU time per request in microseconds: robust on a shared, noisy machine. */
  cpuUsPerReq: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(server: Server, seconds: number): Promise<Sample> {
  const cpuBefore = cpuSeconds(server.child.pid!);
  const r = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'x-api-key': BENCH_KEY },
  });
  const cpu = cpuSeconds(server.child.pid!) - cpuBefore;
  return {
    cpuUsPerReq: (cpu * 1e6) / Math.max(1, r.requests.total),
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const keyHash = createHash('sha256').update(BENCH_KEY).digest('hex');
  const fennecEnv = {
    NODE_ENV: 'production',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    DATA_DIR: join(ROOT, 'data', 'bench'),
    FENNEC_API_KEYS: JSON.stringify([{ id: 'bench', hash: `sha256:${keyHash}`, roles: ['viewer'], tenant: 'bench' }]),
    // Limits high enough that the benchmark measures the throttler's cost, not its refusals.
    THROTTLE_BURST_LIMIT: '1000000',
    THROTTLE_SUSTAINED_LIMIT: '100000000',
    ...(JSON.parse(process.env.BENCH_FENNEC_ENV ?? '{}') as Record<string, string>),
  };
  const bare = await start('bare', 'bench/servers/bare-server.ts', { NODE_ENV: 'production' });
  const fennec = await start('fennec', 'bench/servers/fennec-server.ts', fennecEnv);
  try {
    for (const s of [bare, fennec]) await load(s, 5); // warm-up (JIT, caches)
    const results: Record<string, Sample[]> = { bare: [], fennec: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of round % 2 ? [bare, fennec] : [fennec, bare]) {
        const sample = await load(s, SECONDS);
        results[s.name].push(sample);
        console.log(
          `round ${round} ${s.name.padEnd(6)} ${sample.rps.toFixed(0).padStart(7)} req/s  cpu ${sample.cpuUsPerReq.toFixed(0)} µs/req  p50 ${sample.p50} ms  p99 ${sample.p99} ms  non2xx ${sample.non2xx}  errors ${sample.errors}`,
        );
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [
        k,
        {
          rps: median(v.map((x) => x.rps)),
          cpu: median(v.map((x) => x.cpuUsPerReq)),
          p50: median(v.map((x) => x.p50)),
          p99: median(v.map((x) => x.p99)),
          non2xx: v.reduce((a, x) => a + x.non2xx, 0),
        },
      ]),
    );
    console.log('\nmedian of rounds:');
    for (const [k, v] of Object.entries(summary)) {
      console.log(
        `  ${k.padEnd(6)} ${v.rps.toFixed(0).padStart(7)} req/s  cpu ${v.cpu.toFixed(0)} µs/req  p50 ${v.p50} ms  p99 ${v.p99} ms  non2xx ${v.non2xx}`,
      );
    }
    const ratio = summary.fennec.rps / summary.bare.rps;
    console.log(`\nratio fennec/bare throughput: ${ratio.toFixed(3)} (target >= 0.75)`);
    // Throughput needs an idle machine; CPU per request does not: its inverse ratio is the
    // throughput ratio a CPU-bound server would reach.
    console.log(`ratio bare/fennec CPU per request: ${(summary.bare.cpu / summary.fennec.cpu).toFixed(3)}`);
    if (summary.fennec.non2xx > 0)
      console.log('WARNING: fennec answered non-2xx during the run; figures are not comparable');
  } finally {
    bare.child.kill('SIGKILL');
    fennec.child.kill('SIGKILL');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
