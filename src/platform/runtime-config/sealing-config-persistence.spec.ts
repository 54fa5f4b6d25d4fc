import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigRecord } from './config-record';
import { MemoryStateStore } from '../state/memory-state-store';
import { FileConfigPersistence } from './file-config-persistence';
import type { PlainObject } from './merge-patch';
import { ConfigSecretUnreadableError } from './runtime-config.errors';
import { SealingConfigPersistence } from './sealing-config-persistence';
import { isSealed, SecretSealer } from './secret-sealer';
import { StateConfigPersistence } from './state-config-persistence';

const SECRETS: Record<string, Set<string>> = { widget: new Set(['apiKey', 'credentials']), plain: new Set() };
const secretsOf = (service: string) => SECRETS[service] ?? new Set<string>();

const record = (version: number, overrides: PlainObject): ConfigRecord => ({
  version,
  overrides,
  updatedAt: new Date(version).toISOString(),
  updatedBy: 'test',
  action: 'patch',
  changed: Object.keys(overrides),
});

describe(SealingConfigPersistence.name, () => {
  let dir: string;
  const key = randomBytes(32);
  const sealer = new SecretSealer(key);
  const stored = () => readFileSync(join(dir, 'runtime-config.json'), 'utf8');
  const sealing = (s: SecretSealer | null = sealer) =>
    new SealingConfigPersistence(FileConfigPersistence.inDataDir(dir), s ?? undefined, secretsOf);

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fennec-seal-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should seal secret fields on write, leave other fields clear, and open them on read and history', async () => {
    const store = sealing();
    const clear = record(1, { apiKey: 's3cr3t', credentials: { user: 'u', pass: 'hunter2' }, topK: 7 });
    expect(await store.write('widget', 0, clear, 10)).toBe(true);
    expect(clear.overrides.apiKey).toBe('s3cr3t');

    const file = stored();
    expect(file).not.toContain('s3cr3t');
    expect(file).not.toContain('hunter2');
    const onDisk = JSON.parse(file).services.widget.history[0].overrides;
    expect(isSealed(onDisk.apiKey)).toBe(true);
    expect(isSealed(onDisk.credentials)).toBe(true);
    expect(onDisk.topK).toBe(7);

    expect(await store.read('widget')).toEqual(clear);
    expect(await store.history('widget', 0, 10)).toEqual([clear]);
    expect(await sealing().read('widget')).toEqual(clear);
  });

  it('should not touch services without secret fields', async () => {
    const store = sealing();
    await store.write('plain', 0, record(1, { apiKey: 'not-secret-here' }), 10);
    expect(JSON.parse(stored()).services.plain.history[0].overrides).toEqual({ apiKey: 'not-secret-here' });
  });

  it('should read clear values stored before a key was set and seal them on the next write', async () => {
    await sealing(null).write('widget', 0, record(1, { apiKey: 's3cr3t' }), 10);
    expect(JSON.parse(stored()).services.widget.history[0].overrides.apiKey).toBe('s3cr3t');

    const store = sealing();
    const current = await store.read('widget');
    expect(current?.overrides.apiKey).toBe('s3cr3t');
    await store.write('widget', 1, record(2, { ...current?.overrides, topK: 3 }), 10);
    const history = JSON.parse(stored()).services.widget.history;
    expect(isSealed(history[0].overrides.apiKey)).toBe(true);
    expect((await store.history('widget', 0, 10)).map((r) => r.overrides.apiKey)).toEqual(['s3cr3t', 's3cr3t']);
  });

  it('should fail loudly, naming service, version, field and key, when no key is configured for a sealed value', async () => {
    await sealing().write('widget', 0, record(1, { apiKey: 's3cr3t' }), 10);
    const unkeyed = sealing(null);
    await expect(unkeyed.read('widget')).rejects.toThrow(ConfigSecretUnreadableError);
    await expect(unkeyed.read('widget')).rejects.toThrow(
      `widget (version 1), field apiKey is sealed with key ${sealer.keyId}, but no key is configured`,
    );
    await expect(unkeyed.history('widget', 0, 10)).rejects.toThrow(ConfigSecretUnreadableError);
  });

  it('should fail loudly with a wrong key, and open with the old key kept as a previous key', async () => {
    await sealing().write('widget', 0, record(1, { apiKey: 's3cr3t' }), 10);
    const wrong = new SecretSealer(randomBytes(32));
    await expect(sealing(wrong).read('widget')).rejects.toThrow(
      new RegExp(
        `widget \\(version 1\\), field apiKey cannot be unsealed: sealed with key ${sealer.keyId}, which is not configured`,
      ),
    );
    const rotated = new SecretSealer(randomBytes(32), [key]);
    const store = sealing(rotated);
    expect((await store.read('widget'))?.overrides.apiKey).toBe('s3cr3t');
    await store.write('widget', 1, record(2, { apiKey: 's3cr3t' }), 10);
    const history = JSON.parse(stored()).services.widget.history;
    expect(history.map((r: ConfigRecord) => (r.overrides.apiKey as { $sealed: string }).$sealed.split('.')[1])).toEqual(
      [rotated.keyId, sealer.keyId],
    );
  });

  it('should refuse a sealed value moved from one field to another', async () => {
    await sealing().write('widget', 0, record(1, { apiKey: 's3cr3t' }), 10);
    const path = join(dir, 'runtime-config.json');
    const data = JSON.parse(stored());
    const overrides = data.services.widget.history[0].overrides;
    data.services.widget.history[0].overrides = { credentials: overrides.apiKey };
    writeFileSync(path, JSON.stringify(data));
    await expect(sealing().read('widget')).rejects.toThrow(
      /field credentials cannot be unsealed: .*another service or field/,
    );
  });

  it('should hand rewriteStored clear records and store what it returns sealed', async () => {
    const store = sealing();
    await store.write('widget', 0, record(1, { apiKey: 's3cr3t', topK: 1 }), 10);
    const seen: unknown[] = [];
    const n = await store.rewriteStored('widget', (r) => {
      seen.push(r.overrides.apiKey);
      return { ...r, updatedBy: 'rewritten' };
    });
    expect(n).toBe(1);
    expect(seen).toEqual(['s3cr3t']);
    const onDisk = JSON.parse(stored()).services.widget.history[0];
    expect(onDisk.updatedBy).toBe('rewritten');
    expect(isSealed(onDisk.overrides.apiKey)).toBe(true);
    expect((await store.read('widget'))?.overrides.apiKey).toBe('s3cr3t');
  });

  describe('reseal', () => {
    const keyIds = (history: ConfigRecord[]) =>
      history.map((r) => {
        const v = r.overrides.apiKey;
        return isSealed(v) ? v.$sealed.split('.')[1] : v;
      });

    it('should seal clear values of every stored version with the current key, keeping versions and values', async () => {
      const clear = sealing(null);
      await clear.write('widget', 0, record(1, { apiKey: 'one' }), 10);
      await clear.write('widget', 1, record(2, { apiKey: 'two', topK: 3 }), 10);
      await clear.write('widget', 2, record(3, { topK: 4 }), 10);
      const store = sealing();
      expect(await store.reseal('widget')).toEqual({ resealed: 2, unreadable: 0 });
      const history = JSON.parse(stored()).services.widget.history as ConfigRecord[];
      expect(history.map((r) => r.version)).toEqual([3, 2, 1]);
      expect(keyIds(history)).toEqual([undefined, sealer.keyId, sealer.keyId]);
      expect(stored()).not.toMatch(/"(one|two)"/);
      expect((await store.history('widget', 0, 10)).map((r) => r.overrides.apiKey)).toEqual([undefined, 'two', 'one']);
      // Nothing left to do: no rewrite.
      expect(await store.reseal('widget')).toEqual({ resealed: 0, unreadable: 0 });
    });

    it('should move values sealed with a previous key to the current one, so the previous key can be dropped', async () => {
      await sealing().write('widget', 0, record(1, { apiKey: 'one' }), 10);
      await sealing().write('widget', 1, record(2, { apiKey: 'two' }), 10);
      const nextKey = randomBytes(32);
      const rotated = new SecretSealer(nextKey, [key]);
      expect(await sealing(rotated).reseal('widget')).toEqual({ resealed: 2, unreadable: 0 });
      expect(keyIds(JSON.parse(stored()).services.widget.history)).toEqual([rotated.keyId, rotated.keyId]);
      const dropped = sealing(new SecretSealer(nextKey));
      expect((await dropped.history('widget', 0, 10)).map((r) => r.overrides.apiKey)).toEqual(['two', 'one']);
    });

    it('should leave and count versions no configured key opens', async () => {
      await sealing().write('widget', 0, record(1, { apiKey: 'one' }), 10);
      const before = stored();
      expect(await sealing(new SecretSealer(randomBytes(32))).reseal('widget')).toEqual({ resealed: 0, unreadable: 1 });
      expect(stored()).toBe(before);
    });

    it('should do nothing without a key or for a service without secret fields', async () => {
      await sealing(null).write('widget', 0, record(1, { apiKey: 'one' }), 10);
      await sealing(null).write('plain', 0, record(1, { apiKey: 'not-secret-here' }), 10);
      expect(await sealing(null).reseal('widget')).toEqual({ resealed: 0, unreadable: 0 });
      expect(await sealing().reseal('plain')).toEqual({ resealed: 0, unreadable: 0 });
      expect(JSON.parse(stored()).services.plain.history[0].overrides.apiKey).toBe('not-secret-here');
    });

    it('should reseal what the shared store holds, current record and history, and leave a concurrent write alone', async () => {
      const state = new MemoryStateStore();
      await new StateConfigPersistence(state).write('widget', 0, record(1, { apiKey: 'one' }), 10);
      const store = new SealingConfigPersistence(new StateConfigPersistence(state), sealer, secretsOf);
      expect(await store.reseal('widget')).toEqual({ resealed: 2, unreadable: 0 });
      const current = await state.getVersioned('config:widget');
      expect(current?.version).toBe(1);
      expect(keyIds([JSON.parse(current!.value) as ConfigRecord])).toEqual([sealer.keyId]);
      expect(
        keyIds((await state.range('config:widget:history', 0, 10)).map((e) => JSON.parse(e) as ConfigRecord)),
      ).toEqual([sealer.keyId]);
      expect((await store.read('widget'))?.overrides.apiKey).toBe('one');

      // Another instance writes version 2 between the reseal's read and its rewrite: version 2 wins.
      class RacedStore extends MemoryStateStore {
        override async rewriteVersioned(k: string, version: number, expected: string, value: string) {
          await this.compareAndSet(k, version, JSON.stringify(record(2, { apiKey: 'newer' })));
          return super.rewriteVersioned(k, version, expected, value);
        }
      }
      const racedState = new RacedStore();
      await new StateConfigPersistence(racedState).write('widget', 0, record(1, { apiKey: 'one' }), 10);
      const raced = new SealingConfigPersistence(new StateConfigPersistence(racedState), sealer, secretsOf);
      expect(await raced.reseal('widget')).toEqual({ resealed: 1, unreadable: 0 }); // the history entry only
      const after = await racedState.getVersioned('config:widget');
      expect(after?.version).toBe(2);
      expect((JSON.parse(after!.value) as ConfigRecord).overrides.apiKey).toBe('newer');
    });
  });
});
