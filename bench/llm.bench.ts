/**
 * bench:llm — per-token latency the LLM gateway adds to a streamed answer.
 *
 * Per token: received − sent, where "sent" is the fake Ollama's `res.write` of the chunk and
 * "received" the moment the client has parsed it, both on a clock comparable across processes
 * (performance.timeOrigin + now). Three paths, rounds interleaved so noise hits them alike:
 *   direct   client → fake Ollama /api/chat (NDJSON)
 *   ndjson   client → Fennec /ollama/api/chat → fake (NDJSON relay)
 *   sse      client → Fennec /v1/llm/chat → fake (SSE `token` events)
 *   relay    client → a bare Node pass-through → fake (process mode only: the cost of any extra hop)
 * Target: p99 added ≤ 1 ms.
 *
 * BENCH_GATEWAY=process (default): the fake Ollama, the gateway (the whole app) and the client
 * are three processes, as in production; the direct path crosses one process boundary, the
 * gateway paths two. BENCH_GATEWAY=inprocess: all three share this process's event loop, so the
 * difference is the gateway's own work per token, without the OS waking another process.
 *
 * BENCH_STREAMS (per round and path, default 100), BENCH_ROUNDS (5), BENCH_TOKEN_MS (2);
 * BENCH_CPU_PROF=<dir> writes a CPU profile of the gateway process there.
 * V8 flags such as --max-semi-space-size given to the bench are passed to its child processes.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { APP_INFO } from '../src/app.info';
import { AppModule } from '../src/app.module';
import { configurePlatformApp } from '../src/platform/configure-app';
import { FakeOllama } from '../test/fixtures/fake-ollama';

const ROOT = join(__dirname, '..');
const STREAMS = Number(process.env.BENCH_STREAMS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS ?? 2);
const MODE = process.env.BENCH_GATEWAY === 'inprocess' ? 'inprocess' : 'process';
const KEY = 'fk_bench_llm_0123456789abcdef0123456789';
const PROMPT = 'one two three four five six seven eight nine ten eleven twelve';
const V8_FLAGS = process.execArgv.filter((a) => a.startsWith('--max-semi-space-size'));

type Path = 'direct' | 'relay' | 'ndjson' | 'sse';
const wall = () => performance.timeOrigin + performance.now();

interface Running {
  url: string;
  close(): Promise<void>;
}
interface FakeUpstream extends Running {
  /** When the fake wrote each streamed chunk of request `id`. */
  timesOf(id: string): Promise<number[]>;
}

async function spawnReady(script: string, env: Record<string, string>, ipc: boolean) {
  // BENCH_CPU_PROF=<dir>: CPU-profile the gateway process (written when it exits).
  const prof =
    process.env.BENCH_CPU_PROF && script.includes('llm-fennec')
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
  const child = spawn(process.execPath, [...V8_FLAGS, ...prof, '-r', '@swc-node/register', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\S+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  child.stdout!.resume();
  return { child, ready };
}

const stop = async (child: ChildProcess) => {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
};

async function startFake(): Promise<FakeUpstream> {
  if (MODE === 'process') {
    const { child, ready } = await spawnReady(
      'bench/servers/fake-ollama-server.ts',
      { BENCH_TOKEN_MS: String(TOKEN_MS) },
      true,
    );
    const waiting = new Map<string, (times: number[]) => void>();
    child.on('message', (m: { id: string; times: number[] }) => waiting.get(m.id)?.(m.times));
    return {
      url: ready,
      timesOf: (id) =>
        new Promise((resolve) => {
          waiting.set(id, (t) => {
            waiting.delete(id);
            resolve(t);
          });
          child.send(id);
        }),
      close: () => stop(child),
    };
  }
  const fake = await FakeOllama.start({ tokenLatencyMs: TOKEN_MS });
  const sent = new Map<string, number[]>();
  (fake as unknown as { server: Server }).server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const id = (req.headers['x-bench-id'] ?? req.headers['x-request-id']) as string;
    const times: number[] = [];
    sent.set(id, times);
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      times.push(wall());
      return write(chunk, ...rest);
    }) as typeof res.write;
  });
  return {
    url: fake.url,
    timesOf: (id) => {
      const times = sent.get(id) ?? [];
      sent.delete(id);
      return Promise.resolve(times);
    },
    close: () => fake.close(),
  };
}

function gatewayEnv(ollamaUrl: string): Record<string, string> {
  const hash = `sha256:${createHash('sha256').update(KEY).digest('hex')}`;
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HEALTH_DRAIN_DELAY_MS: '0',
    THROTTLE_ENABLED: 'false',
    OLLAMA_URLS: ollamaUrl,
    LLM_STREAMS_PER_MINUTE: '1000000',
    FENNEC_API_KEYS: JSON.stringify([{ id: 'bench', hash, roles: ['viewer'], tenant: 'bench' }]),
  };
}

async function startGateway(ollamaUrl: string): Promise<Running> {
  if (MODE === 'process') {
    const { child, ready } = await spawnReady('bench/servers/llm-fennec-server.ts', gatewayEnv(ollamaUrl), false);
    return { url: `http://127.0.0.1:${ready}`, close: () => stop(child) };
  }
  // Config namespaces read the environment when the app is created, not when imported.
  Object.assign(process.env, gatewayEnv(ollamaUrl));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

async function startRelay(upstreamUrl: string): Promise<Running> {
  const { child, ready } = await spawnReady('bench/servers/bare-relay-server.ts', { UPSTREAM_URL: upstreamUrl }, false);
  return { url: `http://127.0.0.1:${ready}`, close: () => stop(child) };
}

let seq = 0;

/** One streamed chat; received − sent (ms) per token. The gateway forwards x-request-id to Ollama. */
async function stream(path: Path, fake: FakeUpstream, gateway: Running, relay?: Running): Promise<number[]> {
  const id = `bench-${++seq}`;
  const body = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: PROMPT }], stream: true });
  const url =
    path === 'direct'
      ? `${fake.url}/api/chat`
      : path === 'relay'
        ? `${relay!.url}/api/chat`
        : `${gateway.url}${path === 'ndjson' ? '/ollama/api/chat' : '/v1/llm/chat'}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${KEY}`,
      'x-bench-id': id,
      'x-request-id': id,
    },
    body,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const received: number[] = [];
  const decoder = new TextDecoder();
  let pending = '';
  const separator = path === 'sse' ? '\n\n' : '\n';
  for await (const chunk of res.body!) {
    pending += decoder.decode(chunk as Uint8Array, { stream: true });
    let at: number;
    while ((at = pending.indexOf(separator)) >= 0) {
      const unit = pending.slice(0, at);
      pending = pending.slice(at + separator.length);
      const isToken = path === 'sse' ? unit.includes('event: token') : unit.includes('"done":false');
      if (isToken) received.push(wall());
    }
  }
  const times = await fake.timesOf(id);
  if (times.length !== received.length) throw new Error(`${path}: ${times.length} sent, ${received.length} received`);
  return received.map((t, i) => t - times[i]);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const fake = await startFake();
  const gateway = await startGateway(fake.url);
  const relay = MODE === 'process' ? await startRelay(fake.url) : undefined;
  const paths: Path[] = relay ? ['direct', 'relay', 'ndjson', 'sse'] : ['direct', 'ndjson', 'sse'];
  try {
    const samples: Record<Path, number[]> = { direct: [], relay: [], ndjson: [], sse: [] };
    for (const p of paths) for (let i = 0; i < 20; i++) await stream(p, fake, gateway, relay);
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of paths) {
        for (let i = 0; i < STREAMS; i++) samples[p].push(...(await stream(p, fake, gateway, relay)));
      }
    }
    const row = (p: Path) => {
      const s = [...samples[p]].sort((a, b) => a - b);
      return { tokens: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s.at(-1)! };
    };
    const direct = row('direct');
    const where = MODE === 'inprocess' ? 'one process' : 'fake, gateway and client in three processes';
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    console.log(
      `bench:llm (${where}${V8_FLAGS.length ? `, ${V8_FLAGS.join(' ')}` : ''}) — ${ROUNDS} rounds × ${STREAMS} ` +
        `streams per path, ${TOKEN_MS} ms between tokens, node ${process.version}, load average ${load}`,
    );
    console.log('path     tokens   p50 ms   p90 ms   p99 ms   max ms   added p50   added p99   p99 ratio');
    for (const p of paths) {
      const r = row(p);
      const added = (k: 'p50' | 'p99') => (p === 'direct' ? '' : (r[k] - direct[k]).toFixed(3));
      console.log(
        [
          p.padEnd(6),
          String(r.tokens).padStart(8),
          r.p50.toFixed(3).padStart(8),
          r.p90.toFixed(3).padStart(8),
          r.p99.toFixed(3).padStart(8),
          r.max.toFixed(3).padStart(8),
          added('p50').padStart(11),
          added('p99').padStart(11),
          (p === 'direct' ? '' : `${(r.p99 / direct.p99).toFixed(2)}×`).padStart(11),
        ].join(' '),
      );
    }
    const worst = Math.max(row('ndjson').p99, row('sse').p99) - direct.p99;
    if (relay) {
      const r = row('relay');
      const over = (p: Path) =>
        `p50 +${(row(p).p50 - r.p50).toFixed(3)} ms, p99 +${(row(p).p99 - r.p99).toFixed(3)} ms`;
      console.log(
        `gateway over the bare relay (the framework and checks, not the extra hop): ndjson ${over('ndjson')}; sse ${over('sse')}`,
      );
    }
    console.log(
      `added per-token p99 (worst surface): ${worst.toFixed(3)} ms — target ≤ 1 ms: ${worst <= 1 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await relay?.close();
    await gateway.close();
    await fake.close();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
