import { chunkDocument } from '../chunking/markdown-chunker';
import type { DocumentStore, Metadata, StoredChunk, StoredDocument } from './document-store';

/** What a contract run needs: a fresh, open store, a way to reopen it over the same data, and cleanup. */
export interface DocumentStoreSubject {
  store: DocumentStore;
  /** Closes the store and opens a new instance over the same data (a restart). */
  reopen(): Promise<DocumentStore>;
  cleanup(): Promise<void>;
}

let seq = 0;

/** Documents for the contract: chunked for real, with toy 4-d embeddings when `vectors` are given. */
export function makeDocument(
  id: string,
  text: string,
  options: { metadata?: Metadata; vectors?: number[][]; title?: string; at?: string } = {},
): { document: StoredDocument; chunks: StoredChunk[] } {
  const chunks = chunkDocument(text, { targetChars: 120, overlapChars: 0 }).map((c, i) => ({
    ...c,
    ...(options.vectors ? { embedding: options.vectors[i % options.vectors.length] } : {}),
  }));
  const at = options.at ?? new Date(Date.UTC(2026, 0, 1, 0, 0, ++seq)).toISOString();
  return {
    document: {
      id,
      title: options.title,
      format: 'markdown',
      text,
      metadata: options.metadata ?? {},
      chunkCount: chunks.length,
      ...(options.vectors ? { embeddingModel: 'toy' } : {}),
      createdAt: at,
      updatedAt: at,
    },
    chunks,
  };
}

/**
 * The {@link DocumentStore} contract, run against every implementation (embedded and PostgreSQL)
 * so they behave alike: upsert/get/list/delete, lexical and vector search, filters, tenant
 * isolation, durability across a reopen, and the re-embedding backfill's listing and conditional write.
 */
export function describeDocumentStoreContract(name: string, open: () => Promise<DocumentStoreSubject>): void {
  describe(`DocumentStore contract: ${name}`, () => {
    let subject: DocumentStoreSubject;
    let store: DocumentStore;
    let tenant: string;
    let n = 0;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
      tenant = `t${process.pid}-${Date.now().toString(36)}-${++n}`;
    });
    afterEach(() => subject.cleanup());

    const put = (id: string, text: string, options?: Parameters<typeof makeDocument>[2], t = tenant) => {
      const { document, chunks } = makeDocument(id, text, options);
      return store.upsert(t, document, chunks);
    };

    it('should store, get and replace a document', async () => {
      expect(await put('a', '# Foxes\n\nThe quick brown fox jumps over the lazy dog.')).toEqual({ created: true });
      const got = await store.get(tenant, 'a');
      expect(got).toMatchObject({
        id: 'a',
        chunkCount: 1,
        text: '# Foxes\n\nThe quick brown fox jumps over the lazy dog.',
      });
      expect(await put('a', 'Cats sleep all day long.', { metadata: { lang: 'en' } })).toEqual({ created: false });
      expect(await store.get(tenant, 'a')).toMatchObject({
        text: 'Cats sleep all day long.',
        metadata: { lang: 'en' },
      });
      expect(await store.searchLexical(tenant, 'fox', { topK: 5 })).toEqual([]);
      expect(await store.get(tenant, 'missing')).toBeUndefined();
    });

    it('should list newest first with paging and a total, without the text', async () => {
      for (const id of ['d1', 'd2', 'd3']) await put(id, `Document ${id} text.`);
      const page = await store.list(tenant, { offset: 0, limit: 2 });
      expect(page.total).toBe(3);
      expect(page.items.map((d) => d.id)).toEqual(['d3', 'd2']);
      expect(page.items[0]).not.toHaveProperty('text');
      expect((await store.list(tenant, { offset: 2, limit: 2 })).items.map((d) => d.id)).toEqual(['d1']);
    });

    it('should delete a document and its chunks', async () => {
      await put('gone', 'Walruses live in the Arctic.');
      expect(await store.delete(tenant, 'gone')).toBe(true);
      expect(await store.delete(tenant, 'gone')).toBe(false);
      expect(await store.get(tenant, 'gone')).toBeUndefined();
      expect(await store.searchLexical(tenant, 'walruses', { topK: 5 })).toEqual([]);
    });

    it('should rank lexical matches by relevance and return chunk offsets and metadata', async () => {
      await put('solar', 'Solar panels convert sunlight. Solar power is cheap. Solar is growing.', {
        metadata: { topic: 'energy' },
        title: 'Solar',
      });
      await put('wind', 'Wind turbines turn wind into power.', { metadata: { topic: 'energy' } });
      await put('cats', 'Cats purr and sleep in the sun.', { metadata: { topic: 'pets' } });
      const hits = await store.searchLexical(tenant, 'solar power', { topK: 5 });
      expect(hits.map((h) => h.documentId)).toEqual(['solar', 'wind']);
      expect(hits[0].score).toBeGreaterThan(hits[1].score);
      expect(hits[0]).toMatchObject({ title: 'Solar', metadata: { topic: 'energy' }, chunk: { index: 0, start: 0 } });
      const doc = (await store.get(tenant, 'solar'))!;
      expect(doc.text.slice(hits[0].chunk.start, hits[0].chunk.end)).toBe(hits[0].chunk.text);
      expect(await store.searchLexical(tenant, 'solar power', { topK: 1 })).toHaveLength(1);
    });

    it('should find plurals and verb forms of a word alike (English stemming, the same stop words)', async () => {
      await put('receipt', 'Keep the receipt for every purchase.');
      await put('runner', 'She runs the marathon and studied the route.');
      await put('other', 'Nothing here matches.');
      const ids = async (q: string) => (await store.searchLexical(tenant, q, { topK: 5 })).map((h) => h.documentId);
      expect(await ids('receipts')).toEqual(['receipt']);
      expect(await ids('purchases')).toEqual(['receipt']);
      expect(await ids('running')).toEqual(['runner']);
      expect(await ids('studies')).toEqual(['runner']);
      // Stop words alone match nothing on either store.
      expect(await ids('the and for')).toEqual([]);
    });

    it('should apply metadata filters to both searches', async () => {
      await put('e', 'Power from the sun.', { metadata: { topic: 'energy' }, vectors: [[1, 0, 0, 0]] });
      await put('p', 'Power naps for cats.', { metadata: { topic: 'pets' }, vectors: [[1, 0.1, 0, 0]] });
      expect(
        (await store.searchLexical(tenant, 'power', { topK: 5, filter: { topic: 'pets' } })).map((h) => h.documentId),
      ).toEqual(['p']);
      expect(
        (await store.searchVector(tenant, [1, 0, 0, 0], { topK: 5, filter: { topic: 'energy' } })).map(
          (h) => h.documentId,
        ),
      ).toEqual(['e']);
    });

    it('should rank vector matches by cosine similarity and skip chunks without vectors', async () => {
      await put('x', 'Along the x axis.', { vectors: [[1, 0, 0, 0]] });
      await put('xy', 'Between x and y.', { vectors: [[1, 1, 0, 0]] });
      await put('y', 'Along the y axis.', { vectors: [[0, 1, 0, 0]] });
      await put('none', 'No vector here.');
      const hits = await store.searchVector(tenant, [2, 0.2, 0, 0], { topK: 3 });
      expect(hits.map((h) => h.documentId)).toEqual(['x', 'xy', 'y']);
      expect(hits[0].score).toBeCloseTo(0.995, 2);
    });

    it("should never show one tenant another tenant's documents", async () => {
      const other = `${tenant}-other`;
      await put('shared-id', 'Secret plans of tenant one.', { vectors: [[1, 0, 0, 0]] });
      await put('shared-id', 'Public notes of tenant two.', { vectors: [[1, 0, 0, 0]] }, other);
      expect((await store.get(other, 'shared-id'))!.text).toBe('Public notes of tenant two.');
      expect(await store.searchLexical(other, 'secret plans', { topK: 5 })).toEqual([]);
      expect((await store.searchVector(other, [1, 0, 0, 0], { topK: 5 })).map((h) => h.chunk.text)).toEqual([
        'Public notes of tenant two.',
      ]);
      expect((await store.list(other, { offset: 0, limit: 10 })).total).toBe(1);
      expect(await store.delete(other, 'shared-id')).toBe(true);
      expect(await store.get(tenant, 'shared-id')).toBeDefined();
    });

    /** The document's current chunks, cut again from its stored text, each with `vector`. */
    const embedded = async (id: string, vector: number[], t = tenant) => {
      const doc = (await store.get(t, id))!;
      return makeDocument(id, doc.text, { vectors: [vector] }).chunks;
    };

    it('should list documents without embeddings, or with another model, oldest first, across tenants', async () => {
      const other = `${tenant}-other`;
      await put('old', 'Stored while the LLM was down.', { at: '2020-01-01T00:00:01.000Z' });
      await put('toy', 'Embedded with the toy model.', { vectors: [[1, 0, 0, 0]], at: '2020-01-01T00:00:02.000Z' });
      await put('other-tenant', 'Also without vectors.', { at: '2020-01-01T00:00:03.000Z' }, other);
      await put('new', 'Stored later without vectors.', { at: '2020-01-01T00:00:04.000Z' });
      const mine = (refs: { tenant: string; id: string }[]) =>
        refs.filter((r) => r.tenant.startsWith(tenant)).map((r) => `${r.tenant === tenant ? '' : 'other:'}${r.id}`);
      // Other test runs may share the store (PostgreSQL); only this run's tenants are asserted.
      const absent = await store.listStaleEmbeddings(undefined, 1000);
      expect(mine(absent.items)).toEqual(['old', 'other:other-tenant', 'new']);
      expect(absent.items[0]).toEqual({ tenant, id: 'old', updatedAt: '2020-01-01T00:00:01.000Z' });
      expect(mine((await store.listStaleEmbeddings('toy', 1000)).items)).toEqual(['old', 'other:other-tenant', 'new']);
      expect(mine((await store.listStaleEmbeddings('nomic', 1000)).items)).toEqual([
        'old',
        'toy',
        'other:other-tenant',
        'new',
      ]);
      const limited = await store.listStaleEmbeddings('nomic', 2);
      expect(limited.items).toHaveLength(2);
      expect(limited.total).toBeGreaterThanOrEqual(4);
      expect((await store.listStaleEmbeddings('nomic', 0)).items).toEqual([]);
    });

    it('should set embeddings and the model only while updatedAt is unchanged, and keep them across a restart', async () => {
      await put('doc', '# Notes\n\nVectors arrive later.', { metadata: { k: 'v' }, title: 'Notes' });
      const before = (await store.get(tenant, 'doc'))!;
      expect(await store.searchVector(tenant, [0, 0, 1, 0], { topK: 5 })).toEqual([]);
      const chunks = await embedded('doc', [0, 0, 1, 0]);
      expect(await store.setEmbeddingsIfUnchanged(tenant, 'doc', '1999-01-01T00:00:00.000Z', 'nomic', chunks)).toBe(
        false,
      );
      expect(await store.setEmbeddingsIfUnchanged(tenant, 'missing', before.updatedAt, 'nomic', chunks)).toBe(false);
      expect(await store.setEmbeddingsIfUnchanged(`${tenant}-x`, 'doc', before.updatedAt, 'nomic', chunks)).toBe(false);
      expect((await store.get(tenant, 'doc'))!.embeddingModel).toBeUndefined();

      expect(await store.setEmbeddingsIfUnchanged(tenant, 'doc', before.updatedAt, 'nomic', chunks)).toBe(true);
      const after = (await store.get(tenant, 'doc'))!;
      expect(after).toEqual({ ...before, embeddingModel: 'nomic' });
      expect((await store.listStaleEmbeddings('nomic', 1000)).items.filter((r) => r.tenant === tenant)).toEqual([]);
      const hit = (await store.searchVector(tenant, [0, 0, 1, 0], { topK: 5 }))[0];
      expect(hit).toMatchObject({ documentId: 'doc', title: 'Notes', metadata: { k: 'v' } });
      expect(hit.chunk.text).toBe(chunks[0].text);
      expect((await store.searchLexical(tenant, 'vectors arrive', { topK: 5 }))[0].documentId).toBe('doc');

      store = await subject.reopen();
      expect(await store.get(tenant, 'doc')).toEqual(after);
      expect((await store.searchVector(tenant, [0, 0, 1, 0], { topK: 1 }))[0].documentId).toBe('doc');
      expect((await store.searchLexical(tenant, 'vectors arrive', { topK: 5 }))[0].documentId).toBe('doc');
    });

    it('should never let a backfill write overwrite a newer upsert (the race)', async () => {
      await put('raced', 'Old text the backfill read.');
      const read = (await store.get(tenant, 'raced'))!;
      const stale = await embedded('raced', [1, 0, 0, 0]);
      // A user replaces the document while the backfill is embedding the old text.
      await put('raced', 'New text written by the user.\n\nIt has more to say than before.', {
        vectors: [[0, 1, 0, 0]],
      });
      expect(await store.setEmbeddingsIfUnchanged(tenant, 'raced', read.updatedAt, 'nomic', stale)).toBe(false);
      expect(await store.get(tenant, 'raced')).toMatchObject({
        text: 'New text written by the user.\n\nIt has more to say than before.',
        embeddingModel: 'toy',
      });
      expect((await store.searchVector(tenant, [1, 0, 0, 0], { topK: 5 })).map((h) => h.chunk.text)).not.toContain(
        'Old text the backfill read.',
      );

      // Both at once: whichever the store orders first, the user's text and chunks survive.
      await put('both', 'First version.');
      const first = (await store.get(tenant, 'both'))!;
      const chunks = await embedded('both', [0, 0, 0, 1]);
      const replacement = makeDocument('both', 'Second version, from the user.');
      await Promise.all([
        store.setEmbeddingsIfUnchanged(tenant, 'both', first.updatedAt, 'nomic', chunks),
        store.upsert(tenant, replacement.document, replacement.chunks),
      ]);
      const final = (await store.get(tenant, 'both'))!;
      expect(final.text).toBe('Second version, from the user.');
      expect(final.updatedAt).toBe(replacement.document.updatedAt);
      expect(final.embeddingModel).toBeUndefined();
      expect((await store.searchVector(tenant, [0, 0, 0, 1], { topK: 5 })).map((h) => h.documentId)).not.toContain(
        'both',
      );
      expect((await store.searchLexical(tenant, 'version', { topK: 5 })).map((h) => h.chunk.text)).toEqual([
        'Second version, from the user.',
      ]);
    });

    it('should keep acknowledged writes across a restart', async () => {
      await put('keep', '# Durable\n\nAcknowledged writes survive restarts.', {
        vectors: [[0, 0, 1, 0]],
        metadata: { v: 2 },
      });
      await put('drop', 'This one is deleted.');
      await store.delete(tenant, 'drop');
      store = await subject.reopen();
      expect(await store.get(tenant, 'keep')).toMatchObject({ metadata: { v: 2 }, chunkCount: 1 });
      expect(await store.get(tenant, 'drop')).toBeUndefined();
      expect((await store.searchLexical(tenant, 'survive', { topK: 5 }))[0]).toMatchObject({
        documentId: 'keep',
        chunk: { headingPath: ['Durable'] },
      });
      expect((await store.searchVector(tenant, [0, 0, 1, 0], { topK: 1 }))[0].documentId).toBe('keep');
    });

    it('should run a job exclusively: a second claim while it runs gets undefined, other jobs run', async () => {
      const job = `job-${tenant}`;
      let release!: () => void;
      let running!: () => void;
      const started = new Promise<void>((r) => (running = r));
      const held = store.exclusive(job, () => {
        running();
        return new Promise<string>((r) => (release = () => r('first')));
      });
      await started;
      const second = jest.fn(async () => 'second');
      expect(await store.exclusive(job, second)).toBeUndefined();
      expect(second).not.toHaveBeenCalled();
      expect(await store.exclusive(`${job}-other`, async () => 'other')).toBe('other');
      release();
      expect(await held).toBe('first');
      expect(await store.exclusive(job, second)).toBe('second');
    });

    it('should release a job whose function failed', async () => {
      const job = `job-${tenant}`;
      await expect(store.exclusive(job, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await store.exclusive(job, async () => 'again')).toBe('again');
    });

    it('should scan embedded chunks by tenant and filter, in document then chunk order', async () => {
      const long = 'Alpha beta gamma delta. '.repeat(12);
      await put('b', long, { metadata: { team: 'x' }, vectors: [[1, 0, 0, 0]], title: 'B' });
      await put('a', 'Short text about apples.', { metadata: { team: 'x' }, vectors: [[0, 3, 4, 0]] });
      await put('c', 'No vectors here.', { metadata: { team: 'x' } });
      await put('d', 'Other team.', { metadata: { team: 'y' }, vectors: [[0, 0, 0, 1]] });
      await put('a', 'Another tenant.', { metadata: { team: 'x' }, vectors: [[1, 0, 0, 0]] }, `${tenant}-other`);
      const scanned = [];
      for await (const c of store.scanEmbeddings(tenant, { team: 'x' })) scanned.push(c);
      const bChunks = (await store.get(tenant, 'b'))!.chunkCount;
      expect(bChunks).toBeGreaterThan(1);
      expect(scanned.map((c) => `${c.documentId}#${c.chunkIndex}`)).toEqual([
        'a#0',
        ...Array.from({ length: bChunks }, (_, i) => `b#${i}`),
      ]);
      expect(scanned[0]).toMatchObject({
        text: 'Short text about apples.',
        metadata: { team: 'x' },
        embeddingModel: 'toy',
      });
      expect(Array.from(scanned[0].embedding)).toEqual([0, expect.closeTo(0.6, 5), expect.closeTo(0.8, 5), 0]);
      expect(scanned[1].title).toBe('B');
      const all = [];
      for await (const c of store.scanEmbeddings(tenant)) all.push(c.documentId);
      expect(new Set(all)).toEqual(new Set(['a', 'b', 'd']));
      const none = [];
      for await (const c of store.scanEmbeddings(`${tenant}-nobody`)) none.push(c);
      expect(none).toEqual([]);
    });

    it('should change the corpus version with the documents and their embeddings, and only with them', async () => {
      const empty = await store.corpusVersion(tenant);
      await put('a', 'First document.');
      const v1 = await store.corpusVersion(tenant);
      expect(v1).not.toBe(empty);
      expect(await store.corpusVersion(tenant)).toBe(v1);
      await put(
        'a',
        'First document.',
        { metadata: { team: 'x' }, vectors: [[1, 0, 0, 0]], title: 'a' },
        `${tenant}-other`,
      );
      expect(await store.corpusVersion(tenant)).toBe(v1);
      await put('b', 'Second document.');
      const v2 = await store.corpusVersion(tenant);
      expect(v2).not.toBe(v1);
      const b = (await store.get(tenant, 'b'))!;
      const { chunks } = makeDocument('b', b.text, { vectors: [[0, 1, 0, 0]] });
      expect(await store.setEmbeddingsIfUnchanged(tenant, 'b', b.updatedAt, 'other-model', chunks)).toBe(true);
      const v3 = await store.corpusVersion(tenant);
      expect(v3).not.toBe(v2);
      await store.delete(tenant, 'b');
      const v4 = await store.corpusVersion(tenant);
      // The same documents at the same versions as before 'b' came: the same corpus, the same marker.
      expect(v4).toBe(v1);
      expect(new Set([v1, v2, v3]).size).toBe(3);
      await subject.reopen().then((s) => (store = s));
      expect(await store.corpusVersion(tenant)).toBe(v4);
    });
  });
}
