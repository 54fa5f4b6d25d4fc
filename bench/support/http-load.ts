import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface BenchServer {
  name: string;
  child: ChildProcess;
  url: string;
}

/** Runs a server script (it prints `READY <port>`) as a child process through swc-node. */
export async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  path: string,
): Promise<BenchServer> {
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
  return { name, child, url: `http://127.0.0.1:${port}${path}` };
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
