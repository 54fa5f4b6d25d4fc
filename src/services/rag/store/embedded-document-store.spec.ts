import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDocumentStoreContract, makeDocument } from './document-store.contract';
import { EmbeddedDocumentStore } from './embedded-document-store';

async function openStore(dir: string, snapshotEvery = 1000): Promise<EmbeddedDocumentStore> {
  const store = new EmbeddedDocumentStore({ dir, fsync: true, snapshotEvery });
  await store.open();
  return store;
}

describeDocumentStoreContract('embedded', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fennec-rag-'));
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

describe(EmbeddedDocumentStore.name, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fennec-rag-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const put = (store: EmbeddedDocumentStore, id: string, text: string) => {
    const { document, chunks } = makeDocument(id, text);
    return store.upsert('t', document, chunks);
  };

  it('should recover from the log alone, without a clean close (a crash)', async () => {
    const store = await openStore(dir);
    await put(store, 'a', 'Alpha survives a crash.');
    // No close(): the process "dies" here; only the fsynced log is on disk.
    const reopened = await openStore(dir);
    expect((await reopened.searchLexical('t', 'alpha', { topK: 1 }))[0].documentId).toBe('a');
    await reopened.close();
    await store.close();
  });

  it('should replay a logged embed record after a crash, and compact it into the snapshot', async () => {
    const store = await openStore(dir);
    await put(store, 'a', 'Alpha waits for its vectors.');
    const doc = (await store.get('t', 'a'))!;
    const { chunks } = makeDocument('a', doc.text, { vectors: [[0, 1, 0, 0]] });
    expect(await store.setEmbeddingsIfUnchanged('t', 'a', doc.updatedAt, 'nomic', chunks)).toBe(true);
    const log = await readFile(join(dir, 'operations.log'), 'utf8');
    expect(
      log
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { op: { op: string } }).op.op),
    ).toEqual(['upsert', 'embed']);
    // No close(): only the log is on disk.
    const reopened = await openStore(dir, 1);
    expect((await reopened.get('t', 'a'))!.embeddingModel).toBe('nomic');
    expect((await reopened.searchVector('t', [0, 1, 0, 0], { topK: 1 }))[0].documentId).toBe('a');
    await put(reopened, 'b', 'Beta triggers a snapshot.');
    expect(await readFile(join(dir, 'operations.log'), 'utf8')).toBe('');
    const fromSnapshot = await openStore(dir);
    expect((await fromSnapshot.get('t', 'a'))!.embeddingModel).toBe('nomic');
    expect((await fromSnapshot.searchVector('t', [0, 1, 0, 0], { topK: 1 }))[0].documentId).toBe('a');
    await Promise.all([store.close(), reopened.close(), fromSnapshot.close()]);
  });

  it('should ignore a torn last record and keep appending cleanly', async () => {
    const store = await openStore(dir);
    await put(store, 'a', 'Alpha is complete.');
    await store.close();
    await appendFile(join(dir, 'operations.log'), '{"seq":99,"op":{"op":"upsert","tenant":"t","docu');
    const reopened = await openStore(dir);
    await put(reopened, 'b', 'Beta comes after the tear.');
    const again = await openStore(dir);
    expect((await again.list('t', { offset: 0, limit: 10 })).items.map((d) => d.id).sort()).toEqual(['a', 'b']);
    await reopened.close();
    await again.close();
  });

  it('should compact into a snapshot and replay only newer log records', async () => {
    const store = await openStore(dir, 2);
    await put(store, 'a', 'One.');
    await put(store, 'b', 'Two.');
    expect(await readFile(join(dir, 'operations.log'), 'utf8')).toBe('');
    await put(store, 'c', 'Three.');
    await store.delete('t', 'a');
    await put(store, 'd', 'Four.');
    const reopened = await openStore(dir, 2);
    expect((await reopened.list('t', { offset: 0, limit: 10 })).items.map((d) => d.id).sort()).toEqual(['b', 'c', 'd']);
    expect(await reopened.stats()).toEqual({ documents: 3, chunks: 3, tenants: 1 });
    await reopened.close();
    await store.close();
  });
});
