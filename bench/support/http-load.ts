import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface BenchServer {
  name: string;
  child: ChildProcess;
  url: string;
}

/**
 * Runs a server script (it prints `READY <port>`) as a child process through swc-node.
 *
 * The server's stdout goes to a file, not to a pipe read by this process: this process is also
 * the load generator, and reading a few hundred KB/s of JSON log lines on its one thread took
 * CPU from autocannon, so a logging server looked twice as slow as it is (Fennec at 50 % CPU,
 * waiting on the load generator). In production stdout is read by another process (container
 * runtime, log shipper); the server still pays for writing every line here.
 */
export async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  path: string,
): Promise<BenchServer> {
  const dir = mkdtempSync(join(tmpdir(), `fennec-bench-${name}-`));
  const logFile = join(dir, 'stdout.log');
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, 'inherit'],
  });
  closeSync(out);
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const port = await readyPort(child, logFile, name);
  return { name, child, url: `http://127.0.0.1:${port}${path}` };
}

/** Waits until a bench server has written `READY <port>` to its stdout file; rejects if it exits. */
export function readyPort(child: ChildProcess, logFile: string, name: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const poll = setInterval(() => {
      const m = /READY (\d+)/.exec(readFileSync(logFile, 'utf8'));
      if (!m) return;
      clearInterval(poll);
      resolve(Number(m[1]));
    }, 50);
    child.once('exit', (code) => {
      clearInterval(poll);
      reject(new Error(`${name} exited with ${code}`));
    });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

export interface Sample {
  /** Server CPU time per request in microseconds: robust on a shared, noisy machine. */
  cpuUsPerReq: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Loads one server with autocannon and measures its CPU time per request. */
export async function load(
  server: BenchServer,
  seconds: number,
  connections: number,
  headers: Record<string, string> = {},
): Promise<Sample> {
  const cpuBefore = cpuSeconds(server.child.pid!);
  const r = await autocannon({ url: server.url, connections, duration: seconds, headers });
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

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
