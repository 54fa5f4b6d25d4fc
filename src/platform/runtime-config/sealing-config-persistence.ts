import type { ConfigPersistence, ConfigRecord } from './config-record';
import { ConfigSecretUnreadableError } from './runtime-config.errors';
import { isSealed, sealedKeyId, UnsealError, type SecretSealer } from './secret-sealer';

const KEY_VARS = 'RUNTIME_CONFIG_SECRETS_KEY / RUNTIME_CONFIG_SECRETS_PREVIOUS_KEYS';

/**
 * Keeps `@Secret()` fields sealed at rest around any {@link ConfigPersistence} (file or Redis):
 * every record written has its secret fields sealed (current key), every record read has them
 * opened, so the rest of the service only ever sees clear values. Without a sealer records are
 * written in clear, as before a key was configured. Clear values already stored are read as they
 * are and sealed by the next write; a sealed value that cannot be opened throws
 * {@link ConfigSecretUnreadableError} rather than being dropped.
 */
export class SealingConfigPersistence implements ConfigPersistence {
  constructor(
    private readonly inner: ConfigPersistence,
    private readonly sealer: SecretSealer | undefined,
    /** The secret fields of a service (from its schema). */
    private readonly secretsOf: (service: string) => ReadonlySet<string>,
  ) {}

  get shared(): boolean {
    return this.inner.shared;
  }

  async read(service: string): Promise<ConfigRecord | undefined> {
    const record = await this.inner.read(service);
    return record && this.open(service, record);
  }

  write(service: string, expectedVersion: number, record: ConfigRecord, historyLimit: number): Promise<boolean> {
    return this.inner.write(service, expectedVersion, this.seal(service, record), historyLimit);
  }

  seed(service: string, record: ConfigRecord, historyLimit: number): Promise<boolean> {
    return this.inner.seed(service, this.seal(service, record), historyLimit);
  }

  async history(service: string, offset: number, limit: number): Promise<ConfigRecord[]> {
    const records = await this.inner.history(service, offset, limit);
    return records.map((r) => this.open(service, r));
  }

  /** `rewrite` sees and returns clear records; what it returns is sealed before it is stored. */
  rewriteStored(service: string, rewrite: (stored: ConfigRecord) => ConfigRecord | undefined): Promise<number> {
    return this.inner.rewriteStored(service, (stored) => {
      const next = rewrite(this.open(service, stored));
      return next && this.seal(service, next);
    });
  }

  /**
   * Seals again, with the current key, every stored version of `service` (current record and
   * history) that holds a secret in clear (stored before a key was set) or sealed with another
   * key (before a rotation). Run at boot, so that clear secrets do not outlive the key's arrival
   * in the history, and a retired key can be dropped once every instance has booted with the new
   * one. A version no configured key opens is left as it is and counted as `unreadable`.
   */
  async reseal(service: string): Promise<{ resealed: number; unreadable: number }> {
    const { sealer } = this;
    const secrets = this.secretsOf(service);
    if (!sealer || secrets.size === 0) return { resealed: 0, unreadable: 0 };
    let unreadable = 0;
    const resealed = await this.inner.rewriteStored(service, (stored) => {
      const stale = [...secrets].some((field) => {
        const value = stored.overrides[field];
        return value !== undefined && (!isSealed(value) || sealedKeyId(value) !== sealer.keyId);
      });
      if (!stale) return undefined;
      try {
        return this.seal(service, this.open(service, stored));
      } catch (err) {
        if (!(err instanceof ConfigSecretUnreadableError)) throw err;
        unreadable++;
        return undefined;
      }
    });
    return { resealed, unreadable };
  }

  /** A copy of `record` with its secret fields sealed; `record` itself is left untouched. */
  private seal(service: string, record: ConfigRecord): ConfigRecord {
    const { sealer } = this;
    if (!sealer) return record;
    const overrides = { ...record.overrides };
    for (const field of this.secretsOf(service)) {
      if (overrides[field] !== undefined) overrides[field] = sealer.seal(overrides[field], { service, field });
    }
    return { ...record, overrides };
  }

  /** A copy of `record` with its sealed secret fields opened; the persistence's own copy is left untouched. */
  private open(service: string, record: ConfigRecord): ConfigRecord {
    const overrides = { ...record.overrides };
    for (const field of this.secretsOf(service)) {
      const value = overrides[field];
      if (!isSealed(value)) continue;
      const where = `${service} (version ${record.version}), field ${field}`;
      if (!this.sealer) {
        throw new ConfigSecretUnreadableError(
          `stored runtime config of ${where} is sealed with key ${sealedKeyId(value) ?? '(unknown)'}, but no key is configured: set ${KEY_VARS}`,
        );
      }
      try {
        overrides[field] = this.sealer.unseal(value, { service, field });
      } catch (err) {
        if (!(err instanceof UnsealError)) throw err;
        throw new ConfigSecretUnreadableError(
          `stored runtime config of ${where} cannot be unsealed: ${err.message} (keys from ${KEY_VARS})`,
          { cause: err },
        );
      }
    }
    return { ...record, overrides };
  }
}
