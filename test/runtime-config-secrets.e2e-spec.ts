import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { RedisStateStore } from '../src/platform/state/redis-state-store';
import { RuntimeConfigService } from '../src/platform/runtime-config/runtime-config.service';
import { WidgetConfigService } from './fixtures/widget-config.service';
import { createTestApp } from './support/create-test-app';
import { LogCapture } from './support/log-capture';
import { bearer, TEST_AUTH } from './support/test-credentials';

const ADMIN = bearer(TEST_AUTH.admin);
const SECRET = 's3cr3t-widget-key';
const newKey = () => randomBytes(32).toString('base64');
const keyIdOf = (key: string) => createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 8);

interface StoredRecord {
  version: number;
  overrides: Record<string, unknown>;
}

/** The key id a stored value was sealed with; fails when the value is not sealed. */
function sealedWith(value: unknown): string {
  const sealed = (value as { $sealed?: unknown } | undefined)?.$sealed;
  expect(typeof sealed).toBe('string');
  const m = /^v1\.([0-9a-f]{8})\.[\w-]+\.[\w-]+\.[\w-]+$/.exec(sealed as string);
  expect(m).not.toBeNull();
  return m![1];
}

describe('Runtime configuration secrets sealed at rest (e2e)', () => {
  let dir: string;
  let app: NestExpressApplication | undefined;
  const KEY = newKey();

  const boot = async (dataDir: string, env: Record<string, string> = {}) => {
    app = await createTestApp({ extra: { providers: [WidgetConfigService] }, env: { DATA_DIR: dataDir, ...env } });
    return app;
  };
  const close = async () => {
    await app?.close();
    app = undefined;
  };
  const http = () => request(app!.getHttpServer());
  const widgetValues = () => app!.get(RuntimeConfigService).get<{ apiKey?: string; topK: number }>('widget');
  const storedHistory = (dataDir: string): StoredRecord[] =>
    JSON.parse(readFileSync(join(dataDir, 'runtime-config.json'), 'utf8')).services.widget.history;

  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'fennec-secrets-'))));
  afterEach(close);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Nest's static Logger writes through the app configured last: keep one app per capture.
  it('should warn once at boot in production when secret fields would be stored in clear', async () => {
    const logs = new LogCapture();
    app = await createTestApp({
      extra: { providers: [WidgetConfigService] },
      logStream: logs,
      env: { DATA_DIR: join(dir, 'prod'), NODE_ENV: 'production', LOG_LEVEL: 'warn', HEALTH_DRAIN_DELAY_MS: '0' },
    });
    const isWarning = (l: Record<string, unknown>) => String(l.msg).includes('secrets are stored in clear');
    for (let i = 0; i < 100 && !logs.lines.some(isWarning); i++) await sleep(10);
    const warnings = logs.lines.filter(isWarning);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ services: expect.arrayContaining(['widget']) });
  });

  describe('with DATA_DIR persistence', () => {
    let dataDir: string;
    const NEXT_KEY = newKey();
    beforeAll(() => (dataDir = join(dir, 'file')));

    it('should keep the patched secret sealed in the file and its history while the service gets it in clear', async () => {
      await boot(dataDir, { RUNTIME_CONFIG_SECRETS_KEY: KEY });
      const patched = await http().patch('/config/widget').set('authorization', ADMIN).send({ apiKey: SECRET });
      expect(patched.status).toBe(200);
      expect(patched.body.values.apiKey).toBe('******');
      await http().patch('/config/widget').set('authorization', ADMIN).send({ topK: 9 }).expect(200);

      const file = readFileSync(join(dataDir, 'runtime-config.json'), 'utf8');
      expect(file).not.toContain(SECRET);
      const history = storedHistory(dataDir);
      expect(history.map((r) => r.version)).toEqual([2, 1]);
      for (const r of history) expect(sealedWith(r.overrides.apiKey)).toBe(keyIdOf(KEY));
      expect(history[0].overrides.topK).toBe(9);

      expect(widgetValues()).toMatchObject({ apiKey: SECRET, topK: 9 });
      expect(app!.get(WidgetConfigService).changes[0].next.apiKey).toBe(SECRET);
      const listed = await http().get('/config/widget/history').set('authorization', ADMIN).expect(200);
      expect(listed.body.entries.map((e: StoredRecord) => e.overrides.apiKey)).toEqual(['******', '******']);
      expect(JSON.stringify(listed.body)).not.toContain('$sealed');
    });

    it('should read the secret back after a restart with the same key, and roll back to a sealed version', async () => {
      await boot(dataDir, { RUNTIME_CONFIG_SECRETS_KEY: KEY });
      expect(widgetValues()).toMatchObject({ apiKey: SECRET, topK: 9 });
      await http().post('/config/widget/rollback').set('authorization', ADMIN).send({ version: 1 }).expect(200);
      expect(widgetValues()).toMatchObject({ apiKey: SECRET, topK: 4 });
      expect(readFileSync(join(dataDir, 'runtime-config.json'), 'utf8')).not.toContain(SECRET);
      expect(sealedWith(storedHistory(dataDir)[0].overrides.apiKey)).toBe(keyIdOf(KEY));
    });

    it('should refuse to boot, naming the service and the key, when no configured key opens the stored secret', async () => {
      const wrong = boot(dataDir, { RUNTIME_CONFIG_SECRETS_KEY: newKey() });
      await expect(wrong).rejects.toThrow(
        `stored runtime config of widget (version 3), field apiKey cannot be unsealed: sealed with key ${keyIdOf(KEY)}, which is not configured`,
      );
      await expect(boot(dataDir)).rejects.toThrow(
        `stored runtime config of widget (version 3), field apiKey is sealed with key ${keyIdOf(KEY)}, but no key is configured`,
      );
    });

    it('should seal every stored version again with the new key at boot after a rotation, so the old key can go', async () => {
      const versions = storedHistory(dataDir).map((r) => r.version);
      await boot(dataDir, { RUNTIME_CONFIG_SECRETS_KEY: NEXT_KEY, RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS: KEY });
      expect(widgetValues().apiKey).toBe(SECRET);
      const resealed = storedHistory(dataDir);
      expect(resealed.map((r) => r.version)).toEqual(versions);
      for (const r of resealed) expect(sealedWith(r.overrides.apiKey)).toBe(keyIdOf(NEXT_KEY));
      await http().patch('/config/widget').set('authorization', ADMIN).send({ topK: 11 }).expect(200);
      expect(sealedWith(storedHistory(dataDir)[0].overrides.apiKey)).toBe(keyIdOf(NEXT_KEY));
      await close();

      // The old key dropped: current record and history still open.
      await boot(dataDir, { RUNTIME_CONFIG_SECRETS_KEY: NEXT_KEY });
      expect(widgetValues()).toMatchObject({ apiKey: SECRET, topK: 11 });
      const listed = await http().get('/config/widget/history').set('authorization', ADMIN).expect(200);
      expect(listed.body.entries).toHaveLength(versions.length + 1);
    });

    it('should answer a generic 500 CONFIG.SECRET_UNREADABLE for history sealed with a key retired too early', async () => {
      const early = join(dir, 'retired-early');
      await boot(early, { RUNTIME_CONFIG_SECRETS_KEY: KEY });
      await http().patch('/config/widget').set('authorization', ADMIN).send({ apiKey: SECRET }).expect(200);
      // The current version holds no secret, so an instance with only the next key boots.
      await http().patch('/config/widget').set('authorization', ADMIN).send({ apiKey: null }).expect(200);
      await close();
      await boot(early, { RUNTIME_CONFIG_SECRETS_KEY: NEXT_KEY });
      expect(sealedWith(storedHistory(early)[1].overrides.apiKey)).toBe(keyIdOf(KEY)); // left as it was
      const res = await http().get('/config/widget/history').set('authorization', ADMIN).expect(500);
      expect(res.body.code).toBe('CONFIG.SECRET_UNREADABLE');
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    });

    it('should refuse a key of the wrong length at boot with a message that does not show it', async () => {
      const short = randomBytes(16).toString('base64');
      const failed = boot(dataDir, { RUNTIME_CONFIG_SECRETS_KEY: short });
      await expect(failed).rejects.toThrow(/RUNTIME_CONFIG_SECRETS_KEY \(got "an unusable key"\): must be 32 bytes/);
      await expect(failed).rejects.not.toThrow(short);
    });
  });

  it('should seal clear values stored before the key was set, history included, at the first boot with the key', async () => {
    const dataDir = join(dir, 'migration');
    await boot(dataDir);
    await http().patch('/config/widget').set('authorization', ADMIN).send({ apiKey: SECRET }).expect(200);
    await http().patch('/config/widget').set('authorization', ADMIN).send({ topK: 5 }).expect(200);
    expect(storedHistory(dataDir).map((r) => r.overrides.apiKey)).toEqual([SECRET, SECRET]);
    await close();

    await boot(dataDir, { RUNTIME_CONFIG_SECRETS_KEY: KEY });
    expect(widgetValues()).toMatchObject({ apiKey: SECRET, topK: 5 });
    expect(readFileSync(join(dataDir, 'runtime-config.json'), 'utf8')).not.toContain(SECRET);
    const history = storedHistory(dataDir);
    expect(history.map((r) => r.version)).toEqual([2, 1]);
    for (const r of history) expect(sealedWith(r.overrides.apiKey)).toBe(keyIdOf(KEY));
    await http().post('/config/widget/rollback').set('authorization', ADMIN).send({ version: 1 }).expect(200);
    expect(widgetValues()).toMatchObject({ apiKey: SECRET });
  });

  describe('with Redis persistence', () => {
    const prefix = `fennec-secrets-e2e:${randomUUID()}:`;
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', STATE_KEY_PREFIX: prefix, RUNTIME_CONFIG_SECRETS_KEY: KEY };
    const raw = new RedisStateStore({
      url: env.REDIS_URL,
      keyPrefix: prefix,
      connectTimeoutMs: 1000,
      commandTimeoutMs: 1000,
      reconnectMaxDelayMs: 200,
    });
    let other: NestExpressApplication | undefined;

    afterAll(async () => {
      await other?.close();
      if (await raw.waitUntilReady(3000)) await raw.deleteByPrefix('');
      await raw.close();
    });

    it('should store the secret sealed in Redis, current record and history, and hand it clear to every instance', async () => {
      await boot(join(dir, 'redis-a'), env);
      other = await createTestApp({
        extra: { providers: [WidgetConfigService] },
        env: { ...env, DATA_DIR: join(dir, 'redis-b') },
      });
      await http().patch('/config/widget').set('authorization', ADMIN).send({ apiKey: SECRET }).expect(200);

      expect(await raw.waitUntilReady(3000)).toBe(true);
      const current = await raw.getVersioned('config:widget');
      const history = await raw.range('config:widget:history', 0, 10);
      expect(current?.value).not.toContain(SECRET);
      expect(history).toHaveLength(1);
      expect(history[0]).not.toContain(SECRET);
      expect(sealedWith((JSON.parse(current!.value) as StoredRecord).overrides.apiKey)).toBe(keyIdOf(KEY));
      expect(sealedWith((JSON.parse(history[0]) as StoredRecord).overrides.apiKey)).toBe(keyIdOf(KEY));

      expect(widgetValues().apiKey).toBe(SECRET);
      const seenByOther = () => other!.get(RuntimeConfigService).get<{ apiKey?: string }>('widget').apiKey;
      for (let i = 0; i < 100 && seenByOther() !== SECRET; i++) await sleep(20);
      expect(seenByOther()).toBe(SECRET);
    });

    it('should seal clear secrets in Redis, current record and history, at boot, keeping versions and compare-and-set', async () => {
      await other?.close();
      other = undefined;
      const clearEnv = { ...env, STATE_KEY_PREFIX: `${prefix}clear:`, RUNTIME_CONFIG_SECRETS_KEY: '' };
      await boot(join(dir, 'redis-c'), clearEnv);
      await http().patch('/config/widget').set('authorization', ADMIN).send({ apiKey: SECRET }).expect(200);
      await http().patch('/config/widget').set('authorization', ADMIN).send({ topK: 6 }).expect(200);
      await close();
      const scoped = new RedisStateStore({
        url: env.REDIS_URL,
        keyPrefix: clearEnv.STATE_KEY_PREFIX,
        connectTimeoutMs: 1000,
        commandTimeoutMs: 1000,
        reconnectMaxDelayMs: 200,
      });
      try {
        expect(await scoped.waitUntilReady(3000)).toBe(true);
        expect((await scoped.getVersioned('config:widget'))?.value).toContain(SECRET);

        await boot(join(dir, 'redis-c'), { ...clearEnv, RUNTIME_CONFIG_SECRETS_KEY: KEY });
        expect(widgetValues()).toMatchObject({ apiKey: SECRET, topK: 6 });
        const current = await scoped.getVersioned('config:widget');
        const history = await scoped.range('config:widget:history', 0, 10);
        expect(current?.version).toBe(2);
        expect(history).toHaveLength(2);
        for (const stored of [current!.value, ...history]) {
          expect(stored).not.toContain(SECRET);
          expect(sealedWith((JSON.parse(stored) as StoredRecord).overrides.apiKey)).toBe(keyIdOf(KEY));
        }
        await http().patch('/config/widget').set('authorization', ADMIN).send({ topK: 7 }).expect(200);
        expect((await scoped.getVersioned('config:widget'))?.version).toBe(3);
      } finally {
        await scoped.close();
      }
    });
  });
});
