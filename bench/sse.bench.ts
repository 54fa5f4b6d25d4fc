/**
 * npm run bench:sse — N concurrent SSE clients on one instance receiving a broadcast.
 *
 * Starts a Fennec server (SSE toolkit topic, full platform stack) and a bare Node http SSE
 * broadcaster as child processes, connects N raw HTTP clients to each in turn, and prints:
 * server RSS added per open stream (target ≤ 10 KB) and the time from publishing one event until
 * the last client has it (target ≤ 250 ms; median of BENCH_ROUNDS broadcasts), with Fennec/bare.
 * Env: BENCH_CLIENTS (10000), BENCH_ROUNDS (5).
 * Clients are plain `http.get` sockets with a tiny parser (an EventSource per client would make
 * the client process the bottleneck); both servers face the same client code. RSS is read
 * after a forced GC in the server (`--expose-gc`), so it counts what each open stream retains;
 * live JS heap per stream is printed beside it (RSS also holds old-space pages the GC freed but
 * kept committed).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { get, request, Agent } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const N = Number(process.env.BENCH_CLIENTS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROOT = join(__dirname, '..');

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
}

async function start(name: string, script: string): Promise<Server> {
  const prof = process.env.BENCH_CPU_PROF === name ? ['--cpu-prof', '--cpu-prof-dir=/tmp/sse-prof'] : [];
  const child = spawn(
    process.execPath,
    [...prof, '--expose-gc', '--max-old-space-size=2048', '-r', '@swc-node/register', script],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        HEALTH_DRAIN_DELAY_MS: '0',
        THROTTLE_ENABLED: 'false',
        // Production refuses to boot without credentials; the bench routes are @Public().
        FENNEC_API_KEYS: JSON.stringify([
          { id: 'bench', hash: `sha256:${'0'.repeat(64)}`, roles: ['viewer'], tenant: 'bench' },
        ]),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
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
  return { name, child, port };
}

function stats(port: number): Promise<{ open: number; rss: number; heapUsed: number }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/bench/sse/stats', agent: false }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => (b += c.toString()));
      res.on('end', () => resolve(JSON.parse(b) as { open: number; rss: number; heapUsed: number }));
    }).on('error', reject);
  });
}

function publish(port: number, seq: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ seq });
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/bench/sse/publish',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

class Clients {
  private received = new Map<number, number>();
  private pending?: { seq: number; resolve: () => void };
  private readonly sockets: { destroy(): void }[] = [];
  private readonly agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  failures = 0;

  constructor(private readonly path = '/bench/sse/follow') {}

  async connect(port: number, n: number): Promise<number> {
    const batch = 250;
    for (let i = 0; i < n; i += batch) {
      const size = Math.min(batch, n - i);
      await Promise.all(Array.from({ length: size }, () => this.one(port)));
    }
    return this.sockets.length;
  }

  private one(port: number): Promise<void> {
    return new Promise((resolve) => {
      const req = get({ host: '127.0.0.1', port, path: this.path, agent: this.agent }, (res) => {
        this.sockets.push(req);
        res.setEncoding('utf8');
        let first = true;
        res.on('data', (chunk: string) => {
          if (first) {
            first = false;
            resolve();
          }
          const m = /"seq":(\d+)/.exec(chunk);
          if (m) this.arrived(Number(m[1]));
        });
      });
      req.on('error', () => {
        this.failures++;
        resolve();
      });
    });
  }

  private arrived(seq: number): void {
    const n = (this.received.get(seq) ?? 0) + 1;
    this.received.set(seq, n);
    if (this.pending?.seq === seq && n === this.sockets.length) this.pending.resolve();
  }

  /** ms from publishing `seq` until every client has it. */
  async broadcast(port: number, seq: number): Promise<number> {
    const all = new Promise<void>((resolve) => (this.pending = { seq, resolve }));
    const t0 = performance.now();
    await publish(port, seq);
    await Promise.race([all, sleep(30_000)]);
    const ms = performance.now() - t0;
    if ((this.received.get(seq) ?? 0) < this.sockets.length) {
      throw new Error(`only ${this.received.get(seq) ?? 0}/${this.sockets.length} clients got event ${seq}`);
    }
    return ms;
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Result {
  connected: number;
  rssPerStreamKb: number;
  /** Live JS heap per stream: what a stream retains, without the allocator's committed slack. */
  heapPerStreamKb: number;
  fanoutMs: number;
  maxMs: number;
}

/** Connects N clients to `path`; with `broadcast`, times ROUNDS broadcasts to all of them. */
async function measure(server: Server, path = '/bench/sse/follow', broadcast = true): Promise<Result> {
  // Warm the route (JIT, lazy modules) with a few streams, then take the baseline RSS.
  const warm = new Clients();
  await warm.connect(server.port, 50);
  await warm.broadcast(server.port, 0);
  warm.close();
  await sleep(1_000);
  const before = await stats(server.port);
  const clients = new Clients(path);
  const connected = await clients.connect(server.port, N);
  await sleep(1_000);
  const after = await stats(server.port);
  const times: number[] = [];
  for (let r = 1; broadcast && r <= ROUNDS; r++) {
    times.push(await clients.broadcast(server.port, r));
    await sleep(200);
  }
  clients.close();
  if (clients.failures > 0) process.stdout.write(`  ${server.name}: ${clients.failures} connections failed\n`);
  return {
    connected,
    rssPerStreamKb: (after.rss - before.rss) / 1024 / Math.max(1, connected),
    heapPerStreamKb: (after.heapUsed - before.heapUsed) / 1024 / Math.max(1, connected),
    fanoutMs: broadcast ? median(times) : NaN,
    maxMs: broadcast ? Math.max(...times) : NaN,
  };
}

async function main(): Promise<void> {
  process.stdout.write(`bench:sse — ${N} clients, ${ROUNDS} broadcasts each (node ${process.version})\n`);
  const results: Record<string, Result> = {};
  const runs = [
    ['bare-node', 'bench/servers/sse-bare-server.ts', '/bench/sse/follow', true],
    ['fennec', 'bench/servers/sse-fennec-server.ts', '/bench/sse/follow', true],
    // Ablation: same platform stack, hand-written SSE response, no toolkit: splits the cost.
    ['fennec-no-toolkit', 'bench/servers/sse-fennec-server.ts', '/bench/sse/raw', false],
  ] as const;
  for (const [name, script, path, broadcast] of runs) {
    const server = await start(name, script);
    try {
      results[name] = await measure(server, path, broadcast);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
    const r = results[name];
    process.stdout.write(
      `  ${name.padEnd(17)} streams=${r.connected}  rss/stream=${r.rssPerStreamKb.toFixed(2)} KB  heap/stream=${r.heapPerStreamKb.toFixed(2)} KB` +
        (broadcast ? `  fan-out median=${r.fanoutMs.toFixed(1)} ms  max=${r.maxMs.toFixed(1)} ms` : '') +
        '\n',
    );
  }
  const f = results.fennec;
  const b = results['bare-node'];
  process.stdout.write(
    `  ratio fennec/bare: rss/stream ×${(f.rssPerStreamKb / b.rssPerStreamKb).toFixed(2)}, fan-out ×${(f.fanoutMs / b.fanoutMs).toFixed(2)}\n` +
      `  targets: rss/stream ≤ 10 KB → ${f.rssPerStreamKb <= 10 ? 'met' : 'NOT met'}; fan-out ≤ 250 ms → ${f.fanoutMs <= 250 ? 'met' : 'NOT met'}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
