/**
 * npm run bench:health — the health endpoints under load with 100 managed services.
 *
 * Starts bench/servers/health-server.ts (the platform stack + 100 managed services whose checks
 * count their invocations, TTL 1 s) as a child process, then loads in turn a bare Terminus endpoint
 * (baseline, same stack), /health/ready and /health with autocannon. Prints req/s, p99, the ratio
 * to the baseline, and checkHealth() invocations per service per second during each run, which
 * must stay at or below 1 per TTL whatever the request rate.
 * Env: BENCH_SECONDS (5), BENCH_CONNECTIONS (50), BENCH_SERVICES (100), BENCH_TTL_MS (1000).
 */
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 100);
const TTL_MS = Number(process.env.BENCH_TTL_MS ?? 1000);
const ROOT = join(__dirname, '..');

async function startServer(): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'bench/servers/health-server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      DATA_DIR: join(ROOT, 'data', 'bench'),
      BENCH_SERVICES: String(SERVICES),
      BENCH_TTL_MS: String(TTL_MS),
      // Production refuses to boot without credentials; the measured routes are public anyway.
      FENNEC_API_KEYS: JSON.stringify([
        { id: 'bench', hash: `sha256:${'0'.repeat(64)}`, roles: ['viewer'], tenant: 'bench' },
      ]),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`health server exited with ${code}`)));
  });
  child.stdout.resume();
  return { child, base: `http://127.0.0.1:${port}` };
}

/** CPU seconds (user + system) the server has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function invocations(base: string): Promise<number[]> {
  const res = await fetch(`${base}/bench/invocations`);
  return ((await res.json()) as { invocations: number[] }).invocations;
}

interface Result {
  path: string;
  rps: number;
  /** Server CPU per request (µs): steadier than req/s on a shared machine. */
  cpuUs: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** checkHealth() calls per service per second: mean and worst service. */
  perServiceMean: number;
  perServiceMax: number;
}

async function load(base: string, pid: number, path: string, seconds: number): Promise<Result> {
  const before = await invocations(base);
  const cpuBefore = cpuSeconds(pid);
  const began = performance.now();
  const r = await autocannon({ url: base + path, connections: CONNECTIONS, duration: seconds });
  const elapsedS = (performance.now() - began) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const after = await invocations(base);
  const rates = after.map((n, i) => (n - before[i]) / elapsedS);
  return {
    path,
    rps: r.requests.average,
    cpuUs: (cpu * 1e6) / Math.max(1, r.requests.total),
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    perServiceMean: rates.reduce((a, b) => a + b, 0) / rates.length,
    perServiceMax: Math.max(...rates),
  };
}

async function main(): Promise<void> {
  const { child, base } = await startServer();
  try {
    for (const path of ['/bench/terminus', '/health/ready', '/health']) await load(base, child.pid!, path, 2); // warm-up
    const results: Result[] = [];
    for (const path of ['/bench/terminus', '/health/ready', '/health'])
      results.push(await load(base, child.pid!, path, SECONDS));
    const baseline = results[0].rps;
    const limit = 1000 / TTL_MS;
    console.log(
      `${SERVICES} managed services, health TTL ${TTL_MS} ms, ${CONNECTIONS} connections, ${SECONDS} s per endpoint\n`,
    );
    for (const r of results) {
      console.log(
        `${r.path.padEnd(16)} ${r.rps.toFixed(0).padStart(7)} req/s  cpu ${r.cpuUs.toFixed(0).padStart(5)} µs/req  p99 ${String(r.p99).padStart(4)} ms  ` +
          `x${(r.rps / baseline).toFixed(3)} of baseline  checks/service/s mean ${r.perServiceMean.toFixed(3)} max ${r.perServiceMax.toFixed(3)}` +
          `  non2xx ${r.non2xx}  errors ${r.errors}`,
      );
    }
    const worst = Math.max(...results.map((r) => r.perServiceMax));
    // One check per TTL, plus the one already in flight when a window opens.
    const ok = worst <= limit * (1 + TTL_MS / (SECONDS * 1000)) + 1e-9;
    console.log(
      `\nworst service: ${worst.toFixed(3)} checks/s (limit ${limit.toFixed(3)}/s = 1 per TTL): ${ok ? 'OK' : 'OVER LIMIT'}`,
    );
    if (!ok) process.exitCode = 1;
  } finally {
    child.kill('SIGKILL');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
