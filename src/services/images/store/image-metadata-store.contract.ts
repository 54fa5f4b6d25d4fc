import { randomUUID } from 'node:crypto';
import type { CaptionInfo, ImageRecord } from '../image-record';
import type { ImageMetadataStore } from './image-metadata-store';

/** What a contract run needs: a fresh, open store, a way to reopen it over the same data, and cleanup. */
export interface ImageStoreSubject {
  store: ImageMetadataStore;
  reopen(): Promise<ImageMetadataStore>;
  cleanup(): Promise<void>;
}

let seq = 0;

/** A record for the contract; `sha256` and `phash` default to unique values. */
export function makeRecord(tenant: string, overrides: Partial<ImageRecord> = {}): ImageRecord {
  seq++;
  return {
    id: randomUUID(),
    tenant,
    sha256: `${seq.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`,
    phash: 'f0f0f0f0f0f0f0f0',
    format: 'png',
    originalFormat: 'png',
    width: 10,
    height: 20,
    bytes: 1_000,
    frames: 1,
    orientation: null,
    metadataStripped: false,
    source: 'upload',
    filename: null,
    caption: null,
    captionInfo: null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
    ...overrides,
  };
}

/**
 * The {@link ImageMetadataStore} contract, run against every implementation (embedded and
 * PostgreSQL) so they behave alike: insert with per-tenant exact dedup, get, list with filters and
 * paging, delete, near-duplicate search by Hamming distance, captions, tenant isolation and
 * durability across a reopen.
 */
export function describeImageStoreContract(name: string, open: () => Promise<ImageStoreSubject>): void {
  describe(`ImageMetadataStore contract: ${name}`, () => {
    let subject: ImageStoreSubject;
    let store: ImageMetadataStore;
    let tenant: string;
    let n = 0;

    beforeEach(async () => {
      subject = await open();
      store = subject.store;
      tenant = `t${process.pid}-${Date.now().toString(36)}-${++n}`;
    });
    afterEach(() => subject.cleanup());

    it('should insert and get a record, unchanged', async () => {
      const r = makeRecord(tenant, {
        orientation: 6,
        caption: 'a cat',
        filename: 'cat.jpg',
        phash: '8000000000000001',
      });
      expect(await store.insert(r)).toEqual({ inserted: true });
      expect(await store.get(tenant, r.id)).toEqual(r);
      expect(await store.findBySha(tenant, r.sha256)).toEqual(r);
      expect(await store.get(tenant, 'missing')).toBeUndefined();
    });

    it('should answer the existing record for the same bytes in the same tenant, and not across tenants', async () => {
      const first = makeRecord(tenant);
      await store.insert(first);
      const again = { ...makeRecord(tenant), sha256: first.sha256 };
      expect(await store.insert(again)).toEqual({ inserted: false, existing: first });
      const other = { ...makeRecord(`${tenant}-other`), sha256: first.sha256 };
      expect(await store.insert(other)).toEqual({ inserted: true });
      expect(await store.countBySha(first.sha256)).toBe(2);
    });

    it("should never show one tenant another tenant's images", async () => {
      const mine = makeRecord(tenant);
      await store.insert(mine);
      const other = `${tenant}-other`;
      expect(await store.get(other, mine.id)).toBeUndefined();
      expect(await store.findBySha(other, mine.sha256)).toBeUndefined();
      expect((await store.list(other, {}, { offset: 0, limit: 10 })).total).toBe(0);
      expect(await store.similar(other, mine.phash, 64, 10)).toEqual([]);
      expect(await store.delete(other, mine.id)).toBeUndefined();
      expect(await store.setCaption(other, mine.id, 'x', null)).toBe(false);
      expect(await store.get(tenant, mine.id)).toEqual(mine);
    });

    it('should list newest first with paging and filters', async () => {
      const a = makeRecord(tenant, { source: 'comfy', format: 'webp', caption: 'A red Fox at dawn' });
      const b = makeRecord(tenant, { source: 'upload', format: 'png' });
      const c = makeRecord(tenant, { source: 'diffusion', format: 'webp', caption: 'blue sky' });
      for (const r of [a, b, c]) await store.insert(r);
      const ids = async (filter = {}, page = { offset: 0, limit: 10 }) =>
        (await store.list(tenant, filter, page)).items.map((r) => r.id);
      expect(await ids()).toEqual([c.id, b.id, a.id]);
      expect(await store.list(tenant, {}, { offset: 1, limit: 1 })).toEqual({ items: [b], total: 3 });
      expect(await ids({ source: 'comfy' })).toEqual([a.id]);
      expect(await ids({ format: 'webp' })).toEqual([c.id, a.id]);
      expect(await ids({ captionContains: 'red fox' })).toEqual([a.id]);
      expect(await ids({ createdFrom: b.createdAt })).toEqual([c.id, b.id]);
      expect(await ids({ createdTo: b.createdAt })).toEqual([b.id, a.id]);
      expect((await store.list(tenant, { source: 'comfy', format: 'png' }, { offset: 0, limit: 10 })).total).toBe(0);
    });

    it('should delete a record and answer it once', async () => {
      const r = makeRecord(tenant);
      await store.insert(r);
      expect(await store.delete(tenant, r.id)).toEqual(r);
      expect(await store.delete(tenant, r.id)).toBeUndefined();
      expect(await store.get(tenant, r.id)).toBeUndefined();
      expect(await store.countBySha(r.sha256)).toBe(0);
    });

    it('should find near-duplicates within the distance, nearest first, without the excluded one', async () => {
      const base = makeRecord(tenant, { phash: '0000000000000000' });
      const d1 = makeRecord(tenant, { phash: '0000000000000001' });
      const d3 = makeRecord(tenant, { phash: '8000000000000003' });
      const far = makeRecord(tenant, { phash: 'ffffffffffffffff' });
      for (const r of [base, d1, d3, far]) await store.insert(r);
      const hits = await store.similar(tenant, base.phash, 3, 10, base.id);
      expect(hits.map((h) => [h.image.id, h.distance])).toEqual([
        [d1.id, 1],
        [d3.id, 3],
      ]);
      expect(hits[0].image).toEqual(d1);
      expect((await store.similar(tenant, 'ffffffffffffffff', 0, 10)).map((h) => h.image.id)).toEqual([far.id]);
      expect(await store.similar(tenant, base.phash, 3, 1, base.id)).toHaveLength(1);
    });

    it('should set a caption with its info', async () => {
      const r = makeRecord(tenant);
      await store.insert(r);
      const info: CaptionInfo = {
        style: 'short',
        model: 'llava:7b',
        language: 'en',
        score: 0.75,
        flagged: false,
        checks: [{ name: 'length', passed: true, measured: 2 }],
        attempts: 1,
        createdAt: '2026-01-01T00:00:00.000Z',
      };
      expect(await store.setCaption(tenant, r.id, 'two dogs', info)).toBe(true);
      expect(await store.get(tenant, r.id)).toMatchObject({ caption: 'two dogs', captionInfo: info });
      expect(await store.setCaption(tenant, r.id, null, null)).toBe(true);
      expect(await store.get(tenant, r.id)).toMatchObject({ caption: null, captionInfo: null });
      expect(await store.setCaption(tenant, 'missing', 'x', null)).toBe(false);
    });

    it('should keep records, deletes and captions across a reopen', async () => {
      const kept = makeRecord(tenant);
      const gone = makeRecord(tenant);
      await store.insert(kept);
      await store.insert(gone);
      await store.setCaption(tenant, kept.id, 'still here', null);
      await store.delete(tenant, gone.id);
      store = await subject.reopen();
      expect(await store.get(tenant, kept.id)).toEqual({ ...kept, caption: 'still here' });
      expect(await store.get(tenant, gone.id)).toBeUndefined();
      const stats = await store.stats();
      expect(stats.images).toBeGreaterThanOrEqual(1);
      expect(stats.bytes).toBeGreaterThanOrEqual(kept.bytes);
    });
  });
}
