import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ConfigPersistence, ConfigRecord } from './config-record';

interface FileShape {
  services: Record<string, { history: ConfigRecord[] }>;
}

/**
 * Versions in `<DATA_DIR>/runtime-config.json`, for a single instance without Redis. Every write
 * goes to a temp file that is fsynced and renamed over the old one, so a crash leaves either the
 * old or the new file, never half of one; writes are serialised within the process.
 */
export class FileConfigPersistence implements ConfigPersistence {
  readonly shared = false;
  private readonly logger = new Logger('runtime-config');
  private data: FileShape;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {
    this.data = this.load();
  }

  static inDataDir(dataDir: string): FileConfigPersistence {
    return new FileConfigPersistence(join(dataDir, 'runtime-config.json'));
  }

  async read(service: string): Promise<ConfigRecord | undefined> {
    return this.data.services[service]?.history[0];
  }

  write(service: string, expectedVersion: number, record: ConfigRecord, historyLimit: number): Promise<boolean> {
    return this.add(service, record, historyLimit, (current) => current === expectedVersion);
  }

  seed(service: string, record: ConfigRecord, historyLimit: number): Promise<boolean> {
    return this.add(service, record, historyLimit, (current) => current < record.version);
  }

  /** Makes `record` the current version (and newest history entry) if `accept(currentVersion)`. */
  private add(
    service: string,
    record: ConfigRecord,
    historyLimit: number,
    accept: (current: number) => boolean,
  ): Promise<boolean> {
    const run = this.queue.then(async () => {
      const current = this.data.services[service]?.history[0]?.version ?? 0;
      if (!accept(current)) return false;
      const next: FileShape = structuredClone(this.data);
      const entry = (next.services[service] ??= { history: [] });
      entry.history = [record, ...entry.history].slice(0, historyLimit);
      await this.persist(next);
      this.data = next;
      return true;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The current record is the history's first entry here: one list to rewrite, in one file write. */
  rewriteStored(service: string, rewrite: (stored: ConfigRecord) => ConfigRecord | undefined): Promise<number> {
    const run = this.queue.then(async () => {
      const history = this.data.services[service]?.history ?? [];
      const replaced = history.map((r) => rewrite(structuredClone(r)));
      const rewritten = replaced.filter((r) => r !== undefined).length;
      if (rewritten === 0) return 0;
      const next: FileShape = structuredClone(this.data);
      next.services[service].history = history.map((r, i) => replaced[i] ?? r);
      await this.persist(next);
      this.data = next;
      return rewritten;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async history(service: string, offset: number, limit: number): Promise<ConfigRecord[]> {
    return (this.data.services[service]?.history ?? []).slice(offset, offset + limit);
  }

  private load(): FileShape {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { services: {} };
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<FileShape>;
    this.logger.log({ path: this.path }, 'runtime configuration loaded from file');
    return { services: parsed.services ?? {} };
  }

  private async persist(data: FileShape): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(data, null, 2) + '\n', 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }
}
