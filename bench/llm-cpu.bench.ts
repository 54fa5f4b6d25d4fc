/**
 * npm run bench:llm:cpu — CPU the LLM gateway spends per relayed token, against a bare Node relay.
 *
 * bench:llm measures latency, which on a shared 2-core machine is set by when the OS runs a third
 * busy process, not by the gateway's own work. This bench counts the work instead: the CPU time
 * (user + system, `process.cpuUsage()` of the server process, asked over IPC) the server spends
 * while relaying streamed chats, divided by the tokens relayed. Four paths, each its own server
 * process in front of the same fake Ollama (its own process), rounds interleaved:
 *   bare     a bare Node pass-through (bench/servers/bare-relay-server.ts): http.request piped
 *            into the response, no framework, no checks; the baseline
 *   ndjson   Fennec /ollama/api/chat (NDJSON relayed line for line)
 *   native   Fennec /v1/llm/chat with stream: true (SSE `token` events, platform SSE toolkit)
 *   openai   Fennec /v1/chat/completions with stream: true (SSE chat.completion.chunk events)
 * The figure includes each stream's request handling (auth, throttling, logging, opening the
 * upstream call) spread over its tokens, as a real answer spreads it. Background CPU of an idle
 * server (timers, health probes) is measured first and subtracted.
 * Target: every Fennec path ≤ 1.5× the bare relay's CPU per token.
 *
 * Env: BENCH_ROUNDS (5), BENCH_STREAMS per round and path (40), BENCH_CONCURRENCY (8),
 * BENCH_TOKENS per answer (200), BENCH_TOKEN_MS between tokens (2: each token is its own write,
 * as from a real model). BENCH_CPU_PROF=<dir> writes a CPU profile of the gateway process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(__dirname, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 40);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const TOKENS = Number(process.env.BENCH_TOKENS ?? 200);
const TOKEN_MS = Number(process.env.BENCH_TOKEN_MS ?? 2);
const KEY = 'fk_bench_llm_0123456789abcdef0123456789';
const TARGET = 1.5;

type Path = 'bare' | 'ndjson' | 'native' | 'openai';
const PATHS: Path[] = ['bare', 'ndjson', 'native', 'openai'];

interface Server {
  child: ChildProcess;
  url: string;
  /** CPU time (µs) the process has used so far. */
  cpu(): Promise<NodeJS.CpuUsage>;
}

async function start(script: string, env: Record<string, string>, prof = false): Promise<Server> {
  const flags =
    prof && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...flags, '-r', '@swc-node/register', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
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
  const url = ready.startsWith('http') ? ready : `http://127.0.0.1:${ready}`;
  const cpu = () =>
    new Promise<NodeJS.CpuUsage>((resolve) => {
      child.once('message', resolve);
      child.send('cpu');
    });
  return { child, url, cpu };
}

const stop = async (child: ChildProcess) => {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
};

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

const MESSAGES = [{ role: 'user', content: 'tell me a long story' }];

/** One streamed chat; returns the number of tokens the client received. */
async function stream(path: Path, url: string): Promise<number> {
  const [route, body, marker] =
    path === 'bare'
      ? ['/api/chat', { model: 'llama3.2:3b', messages: MESSAGES }, '"done":false']
      : path === 'ndjson'
        ? ['/ollama/api/chat', { model: 'llama3.2:3b', messages: MESSAGES }, '"done":false']
        : path === 'native'
          ? ['/v1/llm/chat', { model: 'llama3.2:3b', messages: MESSAGES, stream: true }, 'event: token']
          : ['/v1/chat/completions', { model: 'llama3.2:3b', messages: MESSAGES, stream: true }, '"content":"'];
  const res = await fetch(url + route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  let tokens = 0;
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) tokens++;
  // OpenAI's first chunk carries the role with empty content, not a token.
  return path === 'openai' ? tokens - 1 : tokens;
}

async function run(path: Path, url: string, count: number): Promise<number> {
  let next = 0;
  let tokens = 0;
  const worker = async () => {
    while (next++ < count) {
      const got = await stream(path, url);
      tokens += got;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker));
  return tokens;
}

async function main(): Promise<void> {
  const fake = await start('bench/servers/fake-ollama-server.ts', {
    BENCH_TOKEN_MS: String(TOKEN_MS),
    BENCH_REPLY_WORDS: String(TOKENS),
  });
  const bare = await start('bench/servers/bare-relay-server.ts', { UPSTREAM_URL: fake.url });
  const gateway = await start('bench/servers/llm-fennec-server.ts', gatewayEnv(fake.url), true);
  const serverOf = (p: Path) => (p === 'bare' ? bare : gateway);
  try {
    for (const p of PATHS) await run(p, serverOf(p).url, 2 * CONCURRENCY); // JIT warm-up
    // Background CPU of an idle server (µs per second, user and system), subtracted below.
    const idle = new Map<Server, NodeJS.CpuUsage>();
    for (const s of [bare, gateway]) {
      const [c0, t0] = [await s.cpu(), performance.now()];
      await sleep(3000);
      const c1 = await s.cpu();
      const seconds = (performance.now() - t0) / 1000;
      idle.set(s, { user: (c1.user - c0.user) / seconds, system: (c1.system - c0.system) / seconds });
    }
    const zero = () => ({ user: 0, system: 0 });
    const cpu: Record<Path, NodeJS.CpuUsage> = { bare: zero(), ndjson: zero(), native: zero(), openai: zero() };
    const tokens: Record<Path, number> = { bare: 0, ndjson: 0, native: 0, openai: 0 };
    /** Per round, each path's CPU per token over the bare relay's in the same round. */
    const roundRatios: Record<Path, number[]> = { bare: [], ndjson: [], native: [], openai: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const round: Partial<Record<Path, number>> = {};
      for (const p of PATHS) {
        const s = serverOf(p);
        const [c0, t0] = [await s.cpu(), performance.now()];
        const got = await run(p, s.url, STREAMS);
        const seconds = (performance.now() - t0) / 1000;
        const c1 = await s.cpu();
        if (got !== STREAMS * TOKENS) throw new Error(`${p}: ${got} tokens received, ${STREAMS * TOKENS} expected`);
        const user = c1.user - c0.user - idle.get(s)!.user * seconds;
        const system = c1.system - c0.system - idle.get(s)!.system * seconds;
        cpu[p].user += user;
        cpu[p].system += system;
        tokens[p] += got;
        round[p] = (user + system) / got;
      }
      for (const p of PATHS) roundRatios[p].push(round[p]! / round.bare!);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    console.log(
      `bench:llm:cpu — ${ROUNDS} rounds × ${STREAMS} streams × ${TOKENS} tokens per path, ${CONCURRENCY} concurrent, ` +
        `${TOKEN_MS} ms between tokens, node ${process.version}, load average ${load}`,
    );
    const ms = (u: NodeJS.CpuUsage) => `${((u.user + u.system) / 1000).toFixed(1)} ms/s`;
    console.log(`idle CPU subtracted: bare ${ms(idle.get(bare)!)}, gateway ${ms(idle.get(gateway)!)}`);
    console.log(
      'path     tokens   user µs/token   system µs/token   CPU µs/token   × bare   median × bare of rounds (min–max)',
    );
    const per = (p: Path, k?: keyof NodeJS.CpuUsage) =>
      (k === undefined ? cpu[p].user + cpu[p].system : cpu[p][k]) / tokens[p];
    let worst = 0;
    for (const p of PATHS) {
      const ratio = per(p) / per('bare');
      if (p !== 'bare') worst = Math.max(worst, ratio);
      console.log(
        [
          p.padEnd(6),
          String(tokens[p]).padStart(8),
          per(p, 'user').toFixed(2).padStart(15),
          per(p, 'system').toFixed(2).padStart(17),
          per(p).toFixed(2).padStart(14),
          `${ratio.toFixed(2)}×`.padStart(8),
          p === 'bare'
            ? ''
            : `${median(roundRatios[p]).toFixed(2)}× (${Math.min(...roundRatios[p]).toFixed(2)}–${Math.max(...roundRatios[p]).toFixed(2)})`.padStart(
                18,
              ),
        ].join(' '),
      );
    }
    console.log(
      `worst Fennec path: ${worst.toFixed(2)}× the bare relay's CPU per token — target ≤ ${TARGET}×: ${worst <= TARGET ? 'met' : 'NOT met'}`,
    );
  } finally {
    await stop(gateway.child);
    await stop(bare.child);
    await stop(fake.child);
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
