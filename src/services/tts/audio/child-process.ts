import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

/** A finished child process's output. */
export interface ProcessResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs `command` with `args` (no shell: the text never reaches one), writes `stdin` and collects
 * the output. `signal` kills the process. Rejects only when it could not be started (ENOENT).
 */
export function runProcess(
  command: string,
  args: string[],
  options: { stdin?: Buffer | string; signal?: AbortSignal } = {},
): Promise<ProcessResult> {
  return collectProcess(spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal }), options);
}

/** Writes `stdin` to an already started child (e.g. a warm spare) and collects its output. */
export function collectProcess(
  child: ChildProcessWithoutNullStreams,
  options: { stdin?: Buffer | string; signal?: AbortSignal } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    if (options.signal) {
      const kill = () => child.kill('SIGKILL');
      if (options.signal.aborted) kill();
      else options.signal.addEventListener('abort', kill, { once: true });
    }
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 4_000) stderr += b.toString();
    });
    child.on('error', (err) => reject(err));
    child.on('close', (code, signal) => resolve({ stdout: Buffer.concat(out), stderr: stderr.trim(), code, signal }));
    // EPIPE when the process exits before reading everything shows up as its exit status instead.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** Whether `command` can be run (it answers `versionArg` with status 0); its first output line. */
export async function probeCommand(command: string, versionArg: string): Promise<string | undefined> {
  try {
    const r = await runProcess(command, [versionArg]);
    return r.code === 0 ? r.stdout.toString().split('\n')[0].trim() : undefined;
  } catch {
    return undefined;
  }
}
