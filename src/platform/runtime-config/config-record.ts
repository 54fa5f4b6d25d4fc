import type { PlainObject } from './merge-patch';

/** One accepted version of a service's runtime layer (the values set through the API). */
export interface ConfigRecord {
  version: number;
  /** The runtime layer only: fields changed at runtime, layered over defaults, file and env. */
  overrides: PlainObject;
  updatedAt: string;
  updatedBy: string;
  action: 'patch' | 'rollback';
  /** Top-level fields whose runtime value changed in this version. */
  changed: string[];
  /** For a rollback: the version whose values were restored. */
  rolledBackTo?: number;
}

/** Version 0: nothing changed at runtime yet. */
export const INITIAL_RECORD: ConfigRecord = Object.freeze({
  version: 0,
  overrides: {},
  updatedAt: new Date(0).toISOString(),
  updatedBy: 'defaults',
  action: 'patch',
  changed: [],
});

/**
 * Where accepted versions live: Redis (through the StateStore) when instances share state,
 * otherwise a JSON file in DATA_DIR.
 */
export interface ConfigPersistence {
  /** True when other instances see the same records (changes must be broadcast). */
  readonly shared: boolean;
  read(service: string): Promise<ConfigRecord | undefined>;
  /** Stores `record` (version `expectedVersion + 1`) only if the current version is `expectedVersion`. */
  write(service: string, expectedVersion: number, record: ConfigRecord, historyLimit: number): Promise<boolean>;
  /**
   * Puts back a version the store lost (Redis restarted empty): stores `record` at its own version,
   * and adds it to the history, only while the stored version is lower. Never lowers a version.
   * Resolves to whether it was stored.
   */
  seed(service: string, record: ConfigRecord, historyLimit: number): Promise<boolean>;
  /** Newest first. */
  history(service: string, offset: number, limit: number): Promise<ConfigRecord[]>;
  /**
   * Rewrites how `service`'s stored records are kept (its current record and every history entry),
   * never what they mean: `rewrite` gets each record as stored and returns its replacement, or
   * undefined to leave it. Versions do not change, and a record replaced concurrently (a new
   * write) is left alone. Resolves to how many stored records were rewritten.
   */
  rewriteStored(service: string, rewrite: (stored: ConfigRecord) => ConfigRecord | undefined): Promise<number>;
}

export const CONFIG_PERSISTENCE = Symbol('CONFIG_PERSISTENCE');
