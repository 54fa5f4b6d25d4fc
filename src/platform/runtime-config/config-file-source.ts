import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { isPlainObject, type PlainObject } from './merge-patch';

/** Thrown when the config file cannot be read or is not `{ "<service>": { ... } }` JSON. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

/**
 * The optional FENNEC_CONFIG_FILE layer: `{ "<service>": { "<field>": value } }`. Polled with
 * `fs.watchFile` rather than `fs.watch`, because editors and Kubernetes ConfigMaps replace the
 * file (rename or symlink swap), which `fs.watch` loses track of.
 */
export class ConfigFileSource {
  private watching = false;

  constructor(
    readonly path: string,
    private readonly pollMs: number,
  ) {}

  /** Reads and parses the file; a missing file is an empty layer. */
  read(): Record<string, PlainObject> {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ConfigFileError(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigFileError(`${this.path} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(parsed) || !Object.values(parsed).every(isPlainObject)) {
      throw new ConfigFileError(`${this.path} must be a JSON object of service name to settings object`);
    }
    return parsed as Record<string, PlainObject>;
  }

  /** Calls `onChange` whenever the file's content may have changed (mtime, size or inode). */
  watch(onChange: () => void): void {
    if (this.watching) return;
    this.watching = true;
    watchFile(this.path, { interval: this.pollMs, persistent: false }, (curr: Stats, prev: Stats) => {
      if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size || curr.ino !== prev.ino) onChange();
    });
  }

  close(): void {
    if (this.watching) unwatchFile(this.path);
    this.watching = false;
  }
}
