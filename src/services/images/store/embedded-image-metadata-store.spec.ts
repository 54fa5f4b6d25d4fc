import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedImageMetadataStore } from './embedded-image-metadata-store';
import { describeImageStoreContract, makeRecord } from './image-metadata-store.contract';

async function openStore(dir: string, snapshotEvery = 1_000): Promise<EmbeddedImageMetadataStore> {
  const store = new EmbeddedImageMetadataStore({ dir, fsync: true, snapshotEvery });
  await store.open();
  return store;
}

describeImageStoreContract('embedded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fennec-images-'));
  let store = await openStore(dir);
  return {
    store,
    reopen: async () => {
      await store.close();
      store = await openStore(dir);
      return store;
    },
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe(EmbeddedImageMetadataStore.name, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fennec-images-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('should recover from the log alone after a crash, ignoring a torn last record', async () => {
    const store = await openStore(dir);
    const r = makeRecord('t');
    await store.insert(r);
    // No close(): the process "dies"; a half-written record follows the acknowledged one.
    await appendFile(join(dir, 'metadata.log'), '{"op":"put","record":{"id":"tor');
    const reopened = await openStore(dir);
    expect(await reopened.get('t', r.id)).toEqual(r);
    expect((await reopened.stats()).images).toBe(1);
    await Promise.all([store.close(), reopened.close()]);
  });

  it('should compact the log into the snapshot after the configured number of writes', async () => {
    const store = await openStore(dir, 2);
    await store.insert(makeRecord('t'));
    await store.insert(makeRecord('t'));
    expect(await readFile(join(dir, 'metadata.log'), 'utf8')).toBe('');
    const third = makeRecord('t');
    await store.insert(third);
    const reopened = await openStore(dir);
    expect((await reopened.list('t', {}, { offset: 0, limit: 10 })).total).toBe(3);
    expect(await reopened.get('t', third.id)).toEqual(third);
    await Promise.all([store.close(), reopened.close()]);
  });

  it('should let only one of two concurrent inserts of the same bytes win', async () => {
    const store = await openStore(dir);
    const a = makeRecord('t');
    const b = { ...makeRecord('t'), sha256: a.sha256 };
    const results = await Promise.all([store.insert(a), store.insert(b)]);
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    expect((await store.stats()).images).toBe(1);
    await store.close();
  });
});
