import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Image bytes, content-addressed: `<dir>/<first two hex digits>/<sha256>`. A blob is written once
 * (moved into place from a temporary file on the same filesystem, so it appears whole or not at
 * all) and shared by every record with that hash; it is removed with the last one.
 */
export class BlobStore {
  constructor(private readonly dir: string) {}

  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return join(this.dir, sha256.slice(0, 2), sha256);
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Moves `tempPath` into place as the blob `sha256` (dropping it if the blob already exists). */
  async adopt(tempPath: string, sha256: string): Promise<void> {
    const target = this.pathOf(sha256);
    if (await exists(target)) {
      await rm(tempPath, { force: true });
      return;
    }
    await mkdir(join(target, '..'), { recursive: true });
    await rename(tempPath, target);
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
