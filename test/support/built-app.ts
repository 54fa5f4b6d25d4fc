import { type ChildProcess, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnApp, waitReady } from './spawn-app';
import { testAuthEnv } from './test-credentials';

const ROOT = join(__dirname, '..', '..');

/**
 * One compiled build of src/ for every real-process test in a run, in `.e2e-dist/` (one level
 * under the repo, as dist/ is, so relative paths hold; private, because dist/ belongs to
 * `npm run build`). It is rebuilt only when a source file changed since the last build, so a
 * suite of several real-process tests pays for one compilation.
 */
export const E2E_DIST = join(ROOT, '.e2e-dist');

function sourceStamp(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) hash.update(p).update(readFileSync(p));
    }
  };
  walk(join(ROOT, 'src'));
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) hash.update(readFileSync(join(ROOT, f)));
  return hash.digest('hex');
}

let building: Promise<string> | undefined;

/** Compiles src/ into {@link E2E_DIST} unless an up-to-date build is there; returns its path. */
export function ensureBuilt(): Promise<string> {
  building ??= (async () => {
    const stamp = sourceStamp();
    const stampFile = join(E2E_DIST, '.source-stamp');
    if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return E2E_DIST;
    const work = mkdtempSync(join(tmpdir(), 'fennec-e2e-build-'));
    const tsconfig = join(work, 'tsconfig.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.build.json'),
        compilerOptions: {
          outDir: E2E_DIST,
          tsBuildInfoFile: join(E2E_DIST, '.tsbuildinfo'),
          typeRoots: [join(ROOT, 'node_modules/@types')],
        },
      }),
    );
    try {
      rmSync(E2E_DIST, { recursive: true, force: true });
      // tsc emits despite type errors (those fail `npm run typecheck` in CI); a missing main.js is fatal.
      const result = await promisify(execFile)(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig],
        {
          cwd: ROOT,
        },
      ).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
      if (!existsSync(join(E2E_DIST, 'main.js'))) throw new Error(`build failed:\n${result.stdout}`);
      writeFileSync(stampFile, stamp);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return E2E_DIST;
  })();
  return building;
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
  const app = await spawnApp(
    {
      LOG_LEVEL: 'warn',
      HEALTH_DRAIN_DELAY_MS: '0',
      THROTTLE_BURST_LIMIT: '100000',
      THROTTLE_SUSTAINED_LIMIT: '1000000',
      ...testAuthEnv(),
      ...env,
    },
    join(outDir, 'main.js'),
  );
  await waitReady(app, 30_000);
  return {
    child: app.child,
    baseUrl: app.baseUrl,
    output: app.output,
    alive: app.alive,
    stop: async () => {
      if (!app.alive()) return;
      app.child.kill('SIGTERM');
      await app.exited;
    },
  };
}
