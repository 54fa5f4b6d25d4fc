import autocannon from 'autocannon';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readyPort } from './http-load';

const ROOT = join(__dirname, '..', '..');

export interface InstructionSample {
  name: string;
  /** Machine instructions the server process executed per request (all threads), from callgrind. */
  perRequest: number;
  /** Instructions per second the server spends with no request at all (timers, background work). */
  idlePerSecond: number;
  /** Of `perRequest`, what the idle rate accounts for over the (valgrind-slowed) load. */
  backgroundPerRequest: number;
}

/** Whether valgrind (callgrind) is installed: it is on every machine kind here, but say so if not. */
export function hasCallgrind(): boolean {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a bench server (it prints `READY <port>`) under `valgrind --tool=callgrind` with
 * instrumentation off, warms it up (JIT), then counts the instructions the process executes
 * while serving `requests` requests, and while idle for a few seconds (background timers
 * fire on wall-clock time, and under valgrind the load takes ~50× longer, so the idle rate is
 * reported to show how little of the figure it is).
 *
 * Instruction counts do not depend on what else the machine is doing (callgrind counts, it
 * does not time), so two runs agree to within a few per cent where req/s on this shared
 * 2-core VM moves by 30 %. They are not time: a cache miss costs nothing here, a syscall is
 * only its user-space part. Use them to compare variants; use req/s and CPU time for claims
 * about throughput.
 */
export async function countInstructions(
  name: string,
  script: string,
  env: Record<string, string>,
  path: string,
  headers: Record<string, string>,
  { warmup = 3000, requests = 2000, idleSeconds = 5 } = {},
): Promise<InstructionSample> {
  const dir = mkdtempSync(join(tmpdir(), `fennec-callgrind-${name}-`));
  const logFile = join(dir, 'stdout.log');
  const out = openSync(logFile, 'w');
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      // V8 writes and rewrites machine code at run time.
      '--smc-check=all-non-file',
      `--callgrind-out-file=${join(dir, 'callgrind.out')}`,
      process.execPath,
      '-r',
      '@swc-node/register',
      script,
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', out, 'ignore'] },
  );
  closeSync(out);
  const control = (...args: string[]) =>
    execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' });
  /** Dumps the counters since the last dump and returns their total. */
  const dump = async (): Promise<number> => {
    const before = new Set(readdirSync(dir));
    control('-d');
    for (let i = 0; i < 100; i++) {
      const fresh = readdirSync(dir).filter((f) => f.startsWith('callgrind.out.') && !before.has(f));
      const totals = fresh.map((f) => /^totals: (\d+)/m.exec(readFileSync(join(dir, f), 'utf8')));
      if (fresh.length > 0 && totals.every(Boolean)) return totals.reduce((a, m) => a + Number(m![1]), 0);
      await sleep(100);
    }
    throw new Error(`${name}: callgrind wrote no dump`);
  };
  try {
    const port = await readyPort(child, logFile, `${name} (under valgrind)`);
    const url = `http://127.0.0.1:${port}${path}`;
    const load = async (amount: number) => {
      const r = await autocannon({ url, connections: 8, amount, headers, timeout: 60 });
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    };
    await load(warmup);
    await dump(); // discard anything counted so far
    control('-i', 'on');
    await sleep(idleSeconds * 1000);
    const idle = await dump();
    const started = performance.now();
    await load(requests);
    const seconds = (performance.now() - started) / 1000;
    const busy = await dump();
    const idlePerSecond = idle / idleSeconds;
    return {
      name,
      perRequest: busy / requests,
      idlePerSecond,
      backgroundPerRequest: (idlePerSecond * seconds) / requests,
    };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
