import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from './support/built-app';
import { freePort } from './support/spawn-app';

const ROOT = join(__dirname, '..');

type LogLine = Record<string, unknown>;

describe('Service registry in a real process (e2e)', () => {
  let work: string;
  let distDir: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'fennec-registry-proc-'));
    distDir = await ensureBuilt();
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('should start services before readiness, stop them on SIGTERM in reverse order and exit 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [join(distDir, 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(port),
        HEALTH_DRAIN_DELAY_MS: '0',
        DATA_DIR: join(work, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = await waitForReady(`http://127.0.0.1:${port}/health/ready`, exited).catch((e: Error) => {
      throw new Error(`${e.message}\n${err.slice(-2000)}`);
    });
    expect(ready).toBe(200);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
    const registry = lines.filter((l) => l.context === 'registry');
    const started = registry.filter((l) => l.to === 'RUNNING' || l.to === 'DEGRADED').map((l) => l.service as string);
    const stopped = registry.filter((l) => l.to === 'STOPPED').map((l) => l.service as string);
    expect(started).toContain('data-dir');
    expect(stopped).toContain('data-dir');
    expect([...stopped].sort()).toEqual([...started].sort());
    // Whatever services the app ships, each starts after and stops before what it depends on.
    const startIdx = (s: string) => started.indexOf(s);
    const stopIdx = (s: string) => stopped.indexOf(s);
    for (const dependent of started) {
      for (const dep of dependenciesOf(registry, dependent)) {
        expect(startIdx(dep)).toBeLessThan(startIdx(dependent));
        expect(stopIdx(dependent)).toBeLessThan(stopIdx(dep));
      }
    }
    const bootDone = registry.findIndex(
      (l) => typeof l.msg === 'string' && /^started \d+\/\d+ managed service/.test(l.msg),
    );
    const lastUp = registry.findLastIndex((l) => l.to === 'RUNNING' || l.to === 'DEGRADED');
    expect(lastUp).toBeLessThan(bootDone);
    expect(
      registry.find((l) => l.msg === `stopped ${stopped.length} managed service(s) in ${String(l.durationMs)} ms`),
    ).toMatchObject({
      level: 'info',
      signal: 'SIGTERM',
      failed: [],
    });
  }, 30_000);
});

/** Dependencies per service, from the registry's boot log line (`graph`). */
function dependenciesOf(registry: LogLine[], service: string): string[] {
  const graph = registry.find((l) => typeof l.graph === 'object' && l.graph !== null)?.graph as
    Record<string, string[]> | undefined;
  return graph?.[service] ?? [];
}

async function waitForReady(url: string, exited: Promise<number | null>): Promise<number> {
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 20_000;
  while (!done && Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return 200;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} never answered 200 (process exited: ${done})`);
}
