/**
 * bench:llm — per-token latency the LLM gateway adds to a streamed answer.
 *
 * One process holds the fake Ollama and the client, so a token's "sent" time (the fake's
 * `res.write`) and "received" time (the client parsed it) are on one clock. The gateway runs as
 * its own process (the whole app, as in production). Per token: received − sent, for
 *   direct   client → fake Ollama /api/chat (NDJSON)
 *   ndjson   client → Fennec /ollama/api/chat → fake (NDJSON relay)
 *   sse      client → Fennec /v1/llm/chat → fake (SSE `token` events)
 * Rounds interleave the three so drift and noise hit them alike. Target: p99 added ≤ 1 ms.
 *
 * BENCH_GATEWAY=process (default) runs the gateway as its own process, as in production: on a
 * machine short of CPU its p99 then also measures how long the OS makes a third process wait for
 * a core. BENCH_GATEWAY=inprocess runs it in the bench's own event loop: every path then waits for
 * the same one thread, and the difference is the gateway's own work per token.
 *
 * BENCH_STREAMS (per round and path, default 100), BENCH_ROUNDS (5), BENCH_TOKEN_MS (2).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { APP_INFO } from '../src/app.info';
import { AppModule } from '../src/app.module';
import { configurePlatformApp } from '../src/platform/http/configure-app';
import { FakeOllama } from '../test/fixtures/fake-ollama';

const ROOT = join(__dirname, '..');
const STREAMS = Number(process.env.BENCH_STREAMS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS ?? 2);
const MODE = process.env.BENCH_GATEWAY === 'inprocess' ? 'inprocess' : 'process';
const KEY = 'fk_bench_llm_0123456789abcdef0123456789';
const PROMPT = 'one two three four five six seven eight nine ten eleven twelve';

type Path = 'direct' | 'ndjson' | 'sse';
const now = () => performance.now();

/** Send times of each streamed chunk, per fake response, in order. */
const sent = new Map<string, number[]>();

function instrument(fake: FakeOllama): void {
  const server = (fake as unknown as { server: Server }).server;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const id = req.headers['x-bench-id'] as string | undefined;
    const times: number[] = [];
    if (id !== undefined) sent.set(id, times);
    const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      times.push(now());
      return write(chunk, ...rest);
    }) as typeof res.write;
  });
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

interface Gateway {
  port: number;
  close(): Promise<void>;
}

/** The whole app in this process (BENCH_GATEWAY=inprocess). */
async function startGatewayHere(ollamaUrl: string): Promise<Gateway> {
  Object.assign(process.env, gatewayEnv(ollamaUrl));
  // Config namespaces read the environment when the app is created, not when imported.
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  return { port: (app.getHttpServer().address() as { port: number }).port, close: () => app.close() };
}

/** The whole app as its own process (default), as in production. */
async function startGateway(ollamaUrl: string): Promise<Gateway> {
  if (MODE === 'inprocess') return startGatewayHere(ollamaUrl);
  // V8 heap flags given to the bench (e.g. --max-semi-space-size) apply to the gateway too.
  const v8 = process.execArgv.filter((a) => a.startsWith('--max-semi-space-size'));
  const child = spawn(process.execPath, [...v8, '-r', '@swc-node/register', 'bench/servers/llm-fennec-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...gatewayEnv(ollamaUrl) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /READY (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
  child.stdout.resume();
  return {
    port,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

let seq = 0;

/**
 * One streamed chat; returns received − sent (ms) per token. The request id travels to the
 * fake as x-request-id through the gateway (the pool forwards it), or as x-bench-id directly.
 */
async function stream(path: Path, fakeUrl: string, gatewayPort: number): Promise<number[]> {
  const id = `bench-${++seq}`;
  const body = JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: PROMPT }], stream: true });
  const url =
    path === 'direct'
      ? `${fakeUrl}/api/chat`
      : `http://127.0.0.1:${gatewayPort}${path === 'ndjson' ? '/ollama/api/chat' : '/v1/llm/chat'}`;
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
      if (isToken) received.push(now());
    }
  }
  const times = sent.get(id) ?? [];
  sent.delete(id);
  if (times.length !== received.length) throw new Error(`${path}: ${times.length} sent, ${received.length} received`);
  return received.map((t, i) => t - times[i]);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const fake = await FakeOllama.start({ tokenLatencyMs: TOKEN_MS });
  instrument(fake);
  const gateway = await startGateway(fake.url);
  const port = gateway.port;
  // The pool forwards x-request-id; the fake keys its send times on x-bench-id, so map them.
  const server = (fake as unknown as { server: Server }).server;
  server.prependListener('request', (req: IncomingMessage) => {
    req.headers['x-bench-id'] ??= req.headers['x-request-id'];
  });
  try {
    const samples: Record<Path, number[]> = { direct: [], ndjson: [], sse: [] };
    for (const p of ['direct', 'ndjson', 'sse'] as Path[]) for (let i = 0; i < 20; i++) await stream(p, fake.url, port);
    for (let r = 0; r < ROUNDS; r++) {
      for (const p of ['direct', 'ndjson', 'sse'] as Path[]) {
        for (let i = 0; i < STREAMS; i++) samples[p].push(...(await stream(p, fake.url, port)));
      }
    }
    const row = (p: Path) => {
      const s = [...samples[p]].sort((a, b) => a - b);
      return { tokens: s.length, p50: pct(s, 50), p90: pct(s, 90), p99: pct(s, 99), max: s.at(-1)! };
    };
    const direct = row('direct');
    console.log(
      `bench:llm (gateway ${MODE === 'inprocess' ? 'in this process' : 'in its own process'}) — ${ROUNDS} rounds × ${STREAMS} streams per path, ${TOKEN_MS} ms between tokens, node ${process.version}, ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
    );
    console.log('path     tokens   p50 ms   p90 ms   p99 ms   max ms   added p50   added p99   p99 ratio');
    for (const p of ['direct', 'ndjson', 'sse'] as Path[]) {
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
    console.log(
      `added per-token p99 (worst surface): ${worst.toFixed(3)} ms — target ≤ 1 ms: ${worst <= 1 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await gateway.close();
    await fake.close();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
