import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';

export type CacheTier = 'memory' | 'disk';

/**
 * Derived variants, keyed by source SHA-256 + parameters: a memory LRU in front of a disk LRU
 * (under DATA_DIR), each bounded in bytes. A variant evicted from disk has its file removed; on
 * start the disk tier is rebuilt from the files present, oldest first. Variants are pure
 * functions of their key, so losing any of them only costs a re-render.
 */
export class VariantCache {
  private readonly memory?: LRUCache<string, Buffer>;
  private readonly disk?: LRUCache<string, number>;
  /** File removals of evicted entries, awaited by the write that caused them. */
  private removals: Promise<void>[] = [];

  constructor(
    private readonly dir: string,
    limits: { memoryBytes: number; diskBytes: number },
  ) {
    if (limits.memoryBytes > 0) {
      this.memory = new LRUCache<string, Buffer>({
        maxSize: limits.memoryBytes,
        sizeCalculation: (b) => Math.max(1, b.length),
      });
    }
    if (limits.diskBytes > 0) {
      this.disk = new LRUCache<string, number>({
        maxSize: limits.diskBytes,
        sizeCalculation: (size) => Math.max(1, size),
        dispose: (_size, key, reason) => {
          if (reason !== 'set') this.removals.push(rm(this.fileOf(key), { force: true }));
        },
      });
    }
  }

  /** `key` is `<sha256>/<params>`. */
  private fileOf(key: string): string {
    return join(this.dir, key.slice(0, 2), key);
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    if (!this.disk) return;
    const found: { key: string; size: number; mtime: number }[] = [];
    for (const prefix of await readdir(this.dir)) {
      for (const sha of await readdir(join(this.dir, prefix)).catch(() => [])) {
        for (const name of await readdir(join(this.dir, prefix, sha)).catch(() => [])) {
          if (name.endsWith('.tmp')) {
            await rm(join(this.dir, prefix, sha, name), { force: true });
            continue;
          }
          const s = await stat(join(this.dir, prefix, sha, name));
          found.push({ key: `${sha}/${name}`, size: s.size, mtime: s.mtimeMs });
        }
      }
    }
    for (const f of found.sort((a, b) => a.mtime - b.mtime)) this.disk.set(f.key, f.size);
  }

  async get(key: string): Promise<{ bytes: Buffer; tier: CacheTier } | undefined> {
    const hot = this.memory?.get(key);
    if (hot) return { bytes: hot, tier: 'memory' };
    if (!this.disk?.get(key)) return undefined;
    const bytes = await readFile(this.fileOf(key)).catch(() => undefined);
    if (!bytes) {
      this.disk.delete(key);
      return undefined;
    }
    this.memory?.set(key, bytes);
    return { bytes, tier: 'disk' };
  }

  async set(key: string, bytes: Buffer): Promise<void> {
    this.memory?.set(key, bytes);
    if (!this.disk || bytes.length > this.disk.maxSize) return;
    const file = this.fileOf(key);
    await mkdir(join(file, '..'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    this.disk.set(key, bytes.length);
    await Promise.all(this.removals.splice(0));
  }

  /** Drops every variant of a source, from both tiers. */
  async deleteSource(sha256: string): Promise<number> {
    let removed = 0;
    for (const cache of [this.memory, this.disk]) {
      if (!cache) continue;
      for (const key of [...cache.keys()]) {
        if (key.startsWith(`${sha256}/`)) {
          cache.delete(key);
          removed++;
        }
      }
    }
    await Promise.all(this.removals.splice(0));
    await rm(join(this.dir, sha256.slice(0, 2), sha256), { recursive: true, force: true });
    return removed;
  }

  has(key: string): boolean {
    return (this.memory?.has(key) ?? false) || (this.disk?.has(key) ?? false);
  }

  stats(): { memoryBytes: number; memoryEntries: number; diskBytes: number; diskEntries: number } {
    return {
      memoryBytes: this.memory?.calculatedSize ?? 0,
      memoryEntries: this.memory?.size ?? 0,
      diskBytes: this.disk?.calculatedSize ?? 0,
      diskEntries: this.disk?.size ?? 0,
    };
  }
}
