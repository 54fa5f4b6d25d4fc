import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { freePort, waitForHttp } from './support/spawn-app';
import { apiKeysJson, TEST_AUTH, TEST_KEYS } from './support/test-credentials';

const REDIS_URL = 'redis://127.0.0.1:6379';
const ROOT = join(__dirname, '..');
// A private build (one level under the repo, as dist/ is): other suites build or delete dist/.
const OUT = join(ROOT, '.security-e2e-dist');

interface Instance {
  child: ChildProcess;
  baseUrl: string;
  exited: Promise<number | null>;
}

/**
 * Compiles src/ into OUT, as `npx nest build` would (this project has no path aliases or assets).
 * tsc rather than nest build: a type error elsewhere in the tree (checked by `npm run typecheck`)
 * must not stop this test from exercising the emitted JavaScript.
 */
async function build(work: string): Promise<void> {
  const tsconfig = join(work, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        outDir: OUT,
        tsBuildInfoFile: join(OUT, '.tsbuildinfo'),
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
  await promisify(execFile)('npx', ['tsc', '-p', relative(ROOT, tsconfig)], { cwd: ROOT }).catch(() => undefined);
  if (!existsSync(join(OUT, 'main.js'))) throw new Error(`build produced no ${join(OUT, 'main.js')}`);
}

/** `node <OUT>/main.js` on a free port. */
async function start(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(OUT, 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', LOG_FORMAT: 'json', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, baseUrl: `http://127.0.0.1:${port}`, exited };
}
const LIMIT = 6;

describe('Rate limits shared by two processes through Redis (e2e, real processes)', () => {
  const prefix = `fennec-sec-test-${process.pid}-${Date.now()}:`;
  let a: Instance;
  let b: Instance;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'fennec-security-multi-'));
    await build(work);
    const env = {
      REDIS_URL,
      STATE_KEY_PREFIX: prefix,
      FENNEC_API_KEYS: apiKeysJson(),
      LOG_LEVEL: 'warn',
      THROTTLE_BURST_LIMIT: '1000',
      THROTTLE_SUSTAINED_LIMIT: String(LIMIT),
      THROTTLE_SUSTAINED_TTL_MS: '60000',
      // Boot makes the event loop lag; only the shared counting is under test here.
      THROTTLE_ADAPTIVE: 'false',
    };
    [a, b] = await Promise.all([start(env), start(env)]);
    await Promise.all([waitForHttp(`${a.baseUrl}/health/live`), waitForHttp(`${b.baseUrl}/health/live`)]);
  }, 180_000);

  afterAll(async () => {
    for (const app of [a, b]) if (app && app.child.exitCode === null) app.child.kill('SIGKILL');
    await Promise.all([a?.exited, b?.exited]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    rmSync(OUT, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const call = (app: Instance) =>
    fetch(`${app.baseUrl}/security/events?limit=1`, { headers: { authorization: `Bearer ${TEST_AUTH.admin.key}` } });

  it(`should enforce ${LIMIT} per window across both instances: request ${LIMIT + 1} answers 429 on either`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await call(i % 2 === 0 ? a : b)).status);
    expect(statuses).toEqual(Array(LIMIT).fill(200));
    const overA = await call(a);
    const overB = await call(b);
    expect([overA.status, overB.status]).toEqual([429, 429]);
    expect(Number(overB.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await overB.json()) as { code: string }).code).toBe('RATE_LIMIT.EXCEEDED');
  });

  it('should share security events between the instances', async () => {
    const denied = await fetch(`${b.baseUrl}/security/events?limit=50`, {
      headers: { authorization: `Bearer ${TEST_AUTH.operator.key}`, 'x-request-id': `multi-${process.pid}` },
    });
    expect(denied.status).toBe(403);
    await new Promise((r) => setTimeout(r, 100));
    // Read on the other instance, with a key that has its own quota.
    const res = await fetch(`${a.baseUrl}/security/events?limit=50`, {
      headers: { authorization: `Bearer ${TEST_KEYS.globex.admin.key}` },
    });
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: { type: string; requestId: string; client: string }[] };
    expect(items.find((e) => e.requestId === `multi-${process.pid}`)).toMatchObject({
      type: 'auth.forbidden',
      client: 'key:acme-operator',
    });
    expect(items.filter((e) => e.type === 'rate_limit.exceeded' && e.client === 'key:acme-admin')).toHaveLength(2);
  });
});
