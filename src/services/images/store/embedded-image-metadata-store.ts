import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CaptionInfo,
  hammingDistance,
  type ImageListFilter,
  type ImageRecord,
  type SimilarImage,
} from '../image-record';
import type { ImageMetadataStore } from './image-metadata-store';

export interface EmbeddedImageStoreOptions {
  dir: string;
  fsync: boolean;
  /** Compact the log into the snapshot after this many writes. */
  snapshotEvery?: number;
}

type Operation =
  | { op: 'put'; record: ImageRecord }
  | { op: 'delete'; tenant: string; id: string }
  | { op: 'caption'; tenant: string; id: string; caption: string | null; info?: CaptionInfo | null };

const newestFirst = (a: ImageRecord, b: ImageRecord) =>
  b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);

/**
 * Image metadata in DATA_DIR for a single instance: all records in memory, every write appended
 * to `metadata.log` (fsynced when configured) before it is acknowledged, and compacted into
 * `metadata.snapshot.json` now and then. A torn last log line (a crash mid-write) is ignored.
 * Hand-written rather than an embedded database: the data is a few hundred bytes per image and
 * the access paths (by id, by hash, newest first) are maps and a sort.
 */
export class EmbeddedImageMetadataStore implements ImageMetadataStore {
  readonly kind = 'embedded';
  private readonly tenants = new Map<string, Map<string, ImageRecord>>();
  private log?: FileHandle;
  private writes = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EmbeddedImageStoreOptions) {}

  private get paths() {
    return {
      log: join(this.options.dir, 'metadata.log'),
      snapshot: join(this.options.dir, 'metadata.snapshot.json'),
    };
  }

  async open(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    const snapshot = await readFile(this.paths.snapshot, 'utf8').catch(() => undefined);
    if (snapshot) for (const r of JSON.parse(snapshot) as ImageRecord[]) this.apply({ op: 'put', record: r });
    const log = await readFile(this.paths.log, 'utf8').catch(() => '');
    for (const line of log.split('\n')) {
      if (!line) continue;
      try {
        this.apply(JSON.parse(line) as Operation);
      } catch {
        break; // a torn last record: everything before it was acknowledged, it was not
      }
    }
    // Rewrite from memory, so a torn tail never sits before later appends.
    await this.compact();
  }

  async close(): Promise<void> {
    await this.queue;
    await this.log?.close();
    this.log = undefined;
  }

  private apply(o: Operation): void {
    if (o.op === 'put') {
      let t = this.tenants.get(o.record.tenant);
      if (!t) this.tenants.set(o.record.tenant, (t = new Map()));
      // Records written before captions had info carry none.
      t.set(o.record.id, { ...o.record, captionInfo: o.record.captionInfo ?? null });
    } else if (o.op === 'delete') {
      this.tenants.get(o.tenant)?.delete(o.id);
    } else {
      const r = this.tenants.get(o.tenant)?.get(o.id);
      if (r) {
        r.caption = o.caption;
        r.captionInfo = o.info ?? null;
      }
    }
  }

  /** Serialised: one write at a time, applied in memory only once it is on disk. */
  private write(o: Operation): Promise<void> {
    return this.serialised(() => this.append(o));
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async append(o: Operation): Promise<void> {
    if (!this.log) throw new Error('image metadata store is not open');
    await this.log.appendFile(`${JSON.stringify(o)}\n`);
    if (this.options.fsync) await this.log.sync();
    this.apply(o);
    if (++this.writes >= (this.options.snapshotEvery ?? 1_000)) await this.compact();
  }

  private async compact(): Promise<void> {
    const all = [...this.tenants.values()].flatMap((t) => [...t.values()]);
    const tmp = `${this.paths.snapshot}.tmp`;
    const f = await open(tmp, 'w');
    await f.writeFile(JSON.stringify(all));
    await f.sync();
    await f.close();
    await rename(tmp, this.paths.snapshot);
    await this.log?.close();
    this.log = await open(this.paths.log, 'w');
    if (this.options.fsync) await this.log.sync();
    this.writes = 0;
  }

  insert(record: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }> {
    // The check and the append are one step of the queue: two concurrent inserts of the same bytes cannot both win.
    return this.serialised(async () => {
      const existing = this.bySha(record.tenant, record.sha256);
      if (existing) return { inserted: false as const, existing: { ...existing } };
      await this.append({ op: 'put', record: { ...record } });
      return { inserted: true as const };
    });
  }

  private bySha(tenant: string, sha256: string): ImageRecord | undefined {
    for (const r of this.tenants.get(tenant)?.values() ?? []) if (r.sha256 === sha256) return r;
    return undefined;
  }

  get(tenant: string, id: string): Promise<ImageRecord | undefined> {
    const r = this.tenants.get(tenant)?.get(id);
    return Promise.resolve(r ? { ...r } : undefined);
  }

  findBySha(tenant: string, sha256: string): Promise<ImageRecord | undefined> {
    const r = this.bySha(tenant, sha256);
    return Promise.resolve(r ? { ...r } : undefined);
  }

  list(
    tenant: string,
    filter: ImageListFilter,
    page: { offset: number; limit: number },
  ): Promise<{ items: ImageRecord[]; total: number }> {
    const caption = filter.captionContains?.toLowerCase();
    const matching = [...(this.tenants.get(tenant)?.values() ?? [])]
      .filter(
        (r) =>
          (!filter.source || r.source === filter.source) &&
          (!filter.format || r.format === filter.format) &&
          (!filter.createdFrom || Date.parse(r.createdAt) >= Date.parse(filter.createdFrom)) &&
          (!filter.createdTo || Date.parse(r.createdAt) <= Date.parse(filter.createdTo)) &&
          (caption === undefined || (r.caption?.toLowerCase().includes(caption) ?? false)),
      )
      .sort(newestFirst);
    return Promise.resolve({
      items: matching.slice(page.offset, page.offset + page.limit).map((r) => ({ ...r })),
      total: matching.length,
    });
  }

  async delete(tenant: string, id: string): Promise<ImageRecord | undefined> {
    const r = this.tenants.get(tenant)?.get(id);
    if (!r) return undefined;
    await this.write({ op: 'delete', tenant, id });
    return { ...r };
  }

  countBySha(sha256: string): Promise<number> {
    let n = 0;
    for (const t of this.tenants.values()) for (const r of t.values()) if (r.sha256 === sha256) n++;
    return Promise.resolve(n);
  }

  similar(
    tenant: string,
    phash: string,
    maxDistance: number,
    limit: number,
    excludeId?: string,
  ): Promise<SimilarImage[]> {
    const hits: SimilarImage[] = [];
    for (const r of this.tenants.get(tenant)?.values() ?? []) {
      if (r.id === excludeId) continue;
      const distance = hammingDistance(phash, r.phash);
      if (distance <= maxDistance) hits.push({ image: { ...r }, distance });
    }
    return Promise.resolve(
      hits.sort((a, b) => a.distance - b.distance || newestFirst(a.image, b.image)).slice(0, limit),
    );
  }

  async setCaption(tenant: string, id: string, caption: string | null, info: CaptionInfo | null): Promise<boolean> {
    if (!this.tenants.get(tenant)?.has(id)) return false;
    await this.write({ op: 'caption', tenant, id, caption, info });
    return true;
  }

  stats(): Promise<{ images: number; tenants: number; bytes: number }> {
    let images = 0;
    let bytes = 0;
    let tenants = 0;
    for (const t of this.tenants.values()) {
      if (t.size > 0) tenants++;
      images += t.size;
      for (const r of t.values()) bytes += r.bytes;
    }
    return Promise.resolve({ images, tenants, bytes });
  }
}
