import type { StateStore } from '../state/state-store';
import type { ConfigPersistence, ConfigRecord } from './config-record';

/**
 * Versions in the shared state store: `config:<service>` is the current record written by
 * compare-and-set (so concurrent writers on different instances cannot both win), and
 * `config:<service>:history` a bounded list of accepted records.
 */
export class StateConfigPersistence implements ConfigPersistence {
  readonly shared = true;

  constructor(private readonly store: StateStore) {}

  async read(service: string): Promise<ConfigRecord | undefined> {
    const current = await this.store.getVersioned(`config:${service}`);
    return current && (JSON.parse(current.value) as ConfigRecord);
  }

  async write(service: string, expectedVersion: number, record: ConfigRecord, historyLimit: number): Promise<boolean> {
    const result = await this.store.compareAndSet(`config:${service}`, expectedVersion, JSON.stringify(record));
    if (!result.ok) return false;
    // Not atomic with the write: if this fails the version is current but absent from history.
    await this.store.pushBounded(`config:${service}:history`, JSON.stringify(record), historyLimit);
    return true;
  }

  async seed(service: string, record: ConfigRecord, historyLimit: number): Promise<boolean> {
    const result = await this.store.seedVersioned(`config:${service}`, record.version, JSON.stringify(record));
    if (!result.ok) return false;
    // The history normally went with the data and starts again from the seeded version; if it
    // survived (only the current record was lost), it holds that version already.
    const [newest] = await this.history(service, 0, 1);
    if ((newest?.version ?? 0) < record.version) {
      await this.store.pushBounded(`config:${service}:history`, JSON.stringify(record), historyLimit);
    }
    return true;
  }

  async rewriteStored(service: string, rewrite: (stored: ConfigRecord) => ConfigRecord | undefined): Promise<number> {
    let rewritten = 0;
    const key = `config:${service}`;
    const current = await this.store.getVersioned(key);
    const next = current && rewrite(JSON.parse(current.value) as ConfigRecord);
    if (
      current &&
      next &&
      (await this.store.rewriteVersioned(key, current.version, current.value, JSON.stringify(next)))
    )
      rewritten++;
    // Every entry, however long the list: entries past the history limit are trimmed on the next write.
    for (const entry of await this.store.range(`${key}:history`, 0, Number.MAX_SAFE_INTEGER)) {
      const replacement = rewrite(JSON.parse(entry) as ConfigRecord);
      if (replacement && (await this.store.replaceInList(`${key}:history`, entry, JSON.stringify(replacement))))
        rewritten++;
    }
    return rewritten;
  }

  async history(service: string, offset: number, limit: number): Promise<ConfigRecord[]> {
    const entries = await this.store.range(`config:${service}:history`, offset, limit);
    return entries.map((e) => JSON.parse(e) as ConfigRecord);
  }
}
