import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './spawn-app';
import { testAuthEnv } from './test-credentials';

const ROOT = join(__dirname, '..', '..');

/**
 * Builds the app with `nest build` into a private directory one level under the repo (so
 * `dist`-relative paths hold), because other suites build or delete dist/ concurrently.
 */
export async function buildPrivateDist(name: string): Promise<{ outDir: string; cleanup: () => void }> {
  const outDir = join(ROOT, `.${name}-dist`);
  const work = mkdtempSync(join(tmpdir(), `fennec-${name}-`));
  const tsconfig = join(work, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        outDir,
        tsBuildInfoFile: join(outDir, '.tsbuildinfo'),
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      exclude: [
        'node_modules',
        'dist',
        'test',
        'bench',
        'src/**/*.spec.ts',
        'src/**/*.contract.ts',
        'src/**/*.testing.ts',
      ].map((p) => join(ROOT, p)),
    }),
  );
  const cleanup = () => {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  };
  try {
    await promisify(execFile)('npx', ['nest', 'build', '-p', relative(ROOT, tsconfig)], { cwd: ROOT });
  } catch (err) {
    cleanup();
    throw err;
  }
  return { outDir, cleanup };
}

/** A `node <outDir>/main.js` child on a free loopback port, with the test API keys configured. */
export interface BuiltInstance {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  alive: () => boolean;
  stop: () => Promise<void>;
}

export async function startBuiltInstance(outDir: string, env: Record<string, string>): Promise<BuiltInstance> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(outDir, 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      HEALTH_DRAIN_DELAY_MS: '0',
      THROTTLE_BURST_LIMIT: '100000',
      THROTTLE_SUSTAINED_LIMIT: '1000000',
      ...testAuthEnv(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!alive()) throw new Error(`instance exited during boot:\n${out.slice(-2000)}`);
    const status = await fetch(`${baseUrl}/health/ready`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (Date.now() > deadline) throw new Error(`instance not ready in time:\n${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    baseUrl,
    output: () => out,
    alive,
    stop: async () => {
      if (!alive()) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
