import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigRecord } from './config-record';
import { FileConfigPersistence } from './file-config-persistence';

const record = (version: number): ConfigRecord => ({
  version,
  overrides: { n: version },
  updatedAt: new Date(version).toISOString(),
  updatedBy: 'test',
  action: 'patch',
  changed: ['n'],
});

describe(FileConfigPersistence.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'fennec-cfg-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should write by compare-and-set, keep a bounded history and leave no temp files', async () => {
    const store = FileConfigPersistence.inDataDir(join(dir, 'nested'));
    expect(await store.write('svc', 0, record(1), 2)).toBe(true);
    expect(await store.write('svc', 0, record(1), 2)).toBe(false);
    expect(await store.write('svc', 1, record(2), 2)).toBe(true);
    expect(await store.write('svc', 2, record(3), 2)).toBe(true);
    expect((await store.history('svc', 0, 10)).map((r) => r.version)).toEqual([3, 2]);
    expect(readdirSync(join(dir, 'nested'))).toEqual(['runtime-config.json']);
    expect(JSON.parse(readFileSync(store.path, 'utf8')).services.svc.history[0].version).toBe(3);
  });

  it('should serialise concurrent writers so exactly one wins per version', async () => {
    const store = FileConfigPersistence.inDataDir(dir);
    const results = await Promise.all([1, 2, 3].map(() => store.write('svc', 0, record(1), 5)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('should read back what an earlier process wrote', async () => {
    await FileConfigPersistence.inDataDir(dir).write('svc', 0, record(1), 5);
    expect(await FileConfigPersistence.inDataDir(dir).read('svc')).toEqual(record(1));
  });
});
