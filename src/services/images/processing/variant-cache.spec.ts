import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VariantCache } from './variant-cache';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

describe(VariantCache.name, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fennec-variants-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const files = async (sha: string) => readdir(join(dir, sha.slice(0, 2), sha)).catch(() => [] as string[]);

  it('should answer from memory first, then from disk once memory evicted it', async () => {
    const cache = new VariantCache(dir, { memoryBytes: 150, diskBytes: 10_000 });
    await cache.open();
    await cache.set(`${SHA_A}/v1.webp`, bytes(100, 1));
    expect((await cache.get(`${SHA_A}/v1.webp`))?.tier).toBe('memory');
    await cache.set(`${SHA_A}/v2.webp`, bytes(100, 2)); // evicts v1 from memory (150 bytes)
    const fromDisk = await cache.get(`${SHA_A}/v1.webp`);
    expect(fromDisk?.tier).toBe('disk');
    expect(fromDisk?.bytes.equals(bytes(100, 1))).toBe(true);
    expect(await cache.get(`${SHA_A}/missing.webp`)).toBeUndefined();
  });

  it('should keep the disk tier within its byte bound, removing evicted files', async () => {
    const cache = new VariantCache(dir, { memoryBytes: 0, diskBytes: 250 });
    await cache.open();
    for (const n of [1, 2, 3]) await cache.set(`${SHA_A}/v${n}.png`, bytes(100, n));
    expect(cache.stats().diskBytes).toBeLessThanOrEqual(250);
    expect((await files(SHA_A)).sort()).toEqual(['v2.png', 'v3.png']);
    expect(await cache.get(`${SHA_A}/v1.png`)).toBeUndefined();
  });

  it('should rebuild the disk tier from the files present at start', async () => {
    const first = new VariantCache(dir, { memoryBytes: 1_000, diskBytes: 1_000 });
    await first.open();
    await first.set(`${SHA_A}/v1.webp`, bytes(10, 7));
    const second = new VariantCache(dir, { memoryBytes: 1_000, diskBytes: 1_000 });
    await second.open();
    expect(second.stats()).toMatchObject({ diskEntries: 1, diskBytes: 10, memoryEntries: 0 });
    expect((await second.get(`${SHA_A}/v1.webp`))?.tier).toBe('disk');
  });

  it("should drop every variant of one source, and only that source's", async () => {
    const cache = new VariantCache(dir, { memoryBytes: 1_000, diskBytes: 1_000 });
    await cache.open();
    await cache.set(`${SHA_A}/v1.webp`, bytes(10));
    await cache.set(`${SHA_A}/v2.webp`, bytes(10));
    await cache.set(`${SHA_B}/v1.webp`, bytes(10));
    expect(await cache.deleteSource(SHA_A)).toBe(4); // two entries in each tier
    expect(await files(SHA_A)).toEqual([]);
    expect(cache.has(`${SHA_A}/v1.webp`)).toBe(false);
    expect((await cache.get(`${SHA_B}/v1.webp`))?.tier).toBe('memory');
  });
});
