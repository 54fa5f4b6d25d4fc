import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface SpawnedApp {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr as they came. */
  output: () => string;
  /** JSON log lines so far. */
  logs: () => Record<string, unknown>[];
  alive: () => boolean;
  exited: Promise<number | null>;
}

/**
 * Runs a real server as a child process on a free loopback port: `src/main.ts` (as `npm start`
 * would run the build) unless `entry` names another entry file. A `.ts` entry runs through
 * @swc-node/register, compiled as it loads; a `.js` entry (a compiled build, see built-app.ts)
 * runs as it is, which boots several times faster on a loaded machine.
 */
export async function spawnApp(env: Record<string, string> = {}, entry = 'src/main.ts'): Promise<SpawnedApp> {
  const port = await freePort();
  const args = entry.endsWith('.ts') ? ['-r', '@swc-node/register', entry] : [entry];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let both = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    both += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    both += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    output: () => both,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
  };
}

/**
 * Waits until the spawned app answers `GET /health/ready` with 200; rejects with the end of its
 * output if it exits first or `timeoutMs` passes.
 */
export async function waitReady(app: SpawnedApp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!app.alive()) throw new Error(`instance exited during boot:\n${app.output().slice(-2000)}`);
    const status = await fetch(`${app.baseUrl}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) {
      throw new Error(`instance not ready within ${timeoutMs} ms:\n${app.output().slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `url` until it answers (any status) or the deadline passes. */
export async function waitForHttp(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
