import { createReadStream, fdatasyncSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface DurableLogOptions {
  /** fsync every append before it is acknowledged (turn off only for benchmarks/tests). */
  fsync: boolean;
}

/** Reads an NDJSON file line by line; a torn last line (crash mid-write) is ignored. */
async function* readLines(path: string): AsyncGenerator<unknown> {
  let stream;
  try {
    stream = createReadStream(path, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => stream!.once('open', () => resolve()).once('error', reject));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  let pending: string | undefined;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    if (pending !== undefined) yield JSON.parse(pending) as unknown;
    pending = line.trim() === '' ? undefined : line;
  }
  if (pending !== undefined) {
    try {
      yield JSON.parse(pending) as unknown;
    } catch {
      // A torn final record was never acknowledged: drop it.
    }
  }
}

/**
 * Append-only operation log plus snapshot in one directory. `append` resolves once the record
 * is on disk (fsync). `snapshot` writes every record of the current state to a temp file,
 * fsyncs it, renames it over the old snapshot (atomic) and only then empties the log; records
 * carry a sequence number, so a crash between the two steps replays nothing twice.
 */
export class DurableLog<Op, Entry> {
  private handle?: FileHandle;
  private seq = 0;
  private opsSinceSnapshot = 0;
  private readonly logPath: string;
  private readonly snapshotPath: string;

  constructor(
    private readonly dir: string,
    private readonly options: DurableLogOptions,
  ) {
    this.logPath = join(dir, 'operations.log');
    this.snapshotPath = join(dir, 'snapshot.ndjson');
  }

  /** Operations appended since the last snapshot. */
  get pendingOps(): number {
    return this.opsSinceSnapshot;
  }

  /** Replays the snapshot's entries, then the log's operations newer than the snapshot. */
  async load(onEntry: (entry: Entry) => void, onOp: (op: Op) => void): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    let snapshotSeq = 0;
    let first = true;
    for await (const record of readLines(this.snapshotPath)) {
      if (first) {
        snapshotSeq = (record as { seq: number }).seq;
        first = false;
      } else onEntry(record as Entry);
    }
    this.seq = snapshotSeq;
    await this.dropTornTail();
    for await (const record of readLines(this.logPath)) {
      const { seq, op } = record as { seq: number; op: Op };
      if (seq <= snapshotSeq) continue;
      onOp(op);
      this.seq = seq;
      this.opsSinceSnapshot++;
    }
    this.handle = await open(this.logPath, 'a');
  }

  async append(op: Op): Promise<void> {
    if (!this.handle) throw new Error('log is not open');
    const seq = this.seq + 1;
    await this.handle.appendFile(`${JSON.stringify({ seq, op })}\n`);
    if (this.options.fsync) await this.handle.datasync();
    this.seq = seq;
    this.opsSinceSnapshot++;
  }

  /**
   * Like {@link append}, but synchronous: the record is written (and fsynced) before this returns,
   * so changes made one after another in the same tick reach the file in that order with nothing
   * in between for a crash to cut into. Blocks the event loop for the write and fsync.
   * `{ sync: false }` skips the fsync for a record that may be lost in a crash (progress): it is
   * still written in order, and the next synced append or snapshot makes it durable too.
   */
  appendSync(op: Op, opts: { sync?: boolean } = {}): void {
    if (!this.handle) throw new Error('log is not open');
    const seq = this.seq + 1;
    const line = Buffer.from(`${JSON.stringify({ seq, op })}\n`);
    let written = 0;
    while (written < line.length) written += writeSync(this.handle.fd, line, written);
    if (this.options.fsync && opts.sync !== false) fdatasyncSync(this.handle.fd);
    this.seq = seq;
    this.opsSinceSnapshot++;
  }

  /** Replaces the snapshot with `entries` (the full current state) and empties the log. */
  async snapshot(entries: Iterable<Entry>): Promise<void> {
    if (!this.handle) throw new Error('log is not open');
    const tmp = `${this.snapshotPath}.tmp`;
    const out = await open(tmp, 'w');
    try {
      let buffer = `${JSON.stringify({ seq: this.seq })}\n`;
      for (const entry of entries) {
        buffer += `${JSON.stringify(entry)}\n`;
        if (buffer.length > 1 << 20) {
          await out.write(buffer);
          buffer = '';
        }
      }
      await out.write(buffer);
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(tmp, this.snapshotPath);
    await this.syncDir();
    await this.handle.truncate(0);
    if (this.options.fsync) await this.handle.sync();
    this.opsSinceSnapshot = 0;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Removes the snapshot and log (tests). */
  async destroy(): Promise<void> {
    await this.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Cuts a partly written last record (crash mid-append), so later appends start on a clean line. */
  private async dropTornTail(): Promise<void> {
    let file: FileHandle;
    try {
      file = await open(this.logPath, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const { size } = await file.stat();
      const last = Buffer.alloc(1);
      if (size === 0 || ((await file.read(last, 0, 1, size - 1)) && last[0] === 0x0a)) return;
      // Scan back block by block for the end of the last complete record.
      const block = Buffer.alloc(1 << 16);
      let end = size;
      let keep = 0;
      while (end > 0) {
        const from = Math.max(0, end - block.length);
        await file.read(block, 0, end - from, from);
        const nl = block.subarray(0, end - from).lastIndexOf(0x0a);
        if (nl >= 0) {
          keep = from + nl + 1;
          break;
        }
        end = from;
      }
      await file.truncate(keep);
    } finally {
      await file.close();
    }
  }

  /** Makes the rename itself durable. */
  private async syncDir(): Promise<void> {
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
