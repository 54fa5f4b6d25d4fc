import type { ConfigChangeApplier, ChangeSource } from './config-change-applier';
import { INITIAL_RECORD, type ConfigPersistence, type ConfigRecord } from './config-record';
import type { ConfigSection } from './config-section';
import type { ConfigSync } from './config-sync';
import { changedFields } from './merge-patch';
import { rejectInvalid } from './reject-invalid';
import { ConfigVersionConflictError } from './runtime-config.errors';

const WRITE_ATTEMPTS = 5;

export interface WriteOptions {
  /** Expected current version (`If-Match`); a different current version is a conflict. */
  ifMatch?: number;
  /** Who made the change (caller id), for history and logs. */
  by: string;
}

/** What a change does to the runtime layer, given the current record. */
export type RecordChange = (current: ConfigRecord) => Pick<ConfigRecord, 'overrides' | 'action' | 'rolledBackTo'>;

/**
 * Accepts changes to a service's runtime layer: validates the values it would compose, stores it
 * as the next version by compare-and-set (trying again when another writer got in first, unless
 * the caller gave `If-Match`), puts it in force here and announces it to the other instances.
 *
 * The next version follows the newer of the stored version and the one in force here: a store
 * that holds an older version than this instance lost data (Redis restarted empty), so the
 * version held here is put back first and the change builds on it. Version numbers therefore
 * never repeat or go back, and the change is in force here when `write` resolves.
 */
export class ConfigWriter {
  constructor(
    private readonly persistence: ConfigPersistence,
    private readonly applier: ConfigChangeApplier,
    private readonly sync: ConfigSync,
    private readonly historyLimit: number,
  ) {}

  async write(s: ConfigSection, options: WriteOptions, source: ChangeSource, change: RecordChange): Promise<void> {
    this.sync.assertWritable();
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const current = (await this.persistence.read(s.name)) ?? INITIAL_RECORD;
      if (current.version < s.record.version) {
        await this.sync.reseed(s);
        continue;
      }
      if (options.ifMatch !== undefined && options.ifMatch !== current.version) {
        throw new ConfigVersionConflictError(current.version);
      }
      const next = change(current);
      rejectInvalid(s, s.schema.validate(s.compose({ overrides: next.overrides })));
      const record: ConfigRecord = {
        version: current.version + 1,
        ...next,
        updatedAt: new Date().toISOString(),
        updatedBy: options.by,
        changed: changedFields(current.overrides, next.overrides),
      };
      if (await this.persistence.write(s.name, current.version, record, this.historyLimit)) {
        await this.applier.enqueue(s, () => this.applier.applyRecord(s, record, source));
        await this.sync.announce(s.name, record.version);
        return;
      }
      if (options.ifMatch !== undefined) {
        throw new ConfigVersionConflictError(((await this.persistence.read(s.name)) ?? INITIAL_RECORD).version);
      }
    }
    throw new ConfigVersionConflictError(-1, `Too many concurrent changes to ${s.name}; try again`);
  }
}
