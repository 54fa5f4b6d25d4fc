import { INITIAL_RECORD, type ConfigPersistence, type ConfigRecord } from './config-record';
import type { ConfigSection } from './config-section';
import { ConfigVersionNotFoundError } from './runtime-config.errors';

/** The accepted versions of each service's runtime layer: listed for the API, found for a rollback. */
export class ConfigHistory {
  constructor(
    private readonly persistence: ConfigPersistence,
    private readonly historyLimit: number,
  ) {}

  /** Accepted versions, newest first, with runtime values (secrets masked). */
  async list(s: ConfigSection, offset: number, limit: number): Promise<ConfigRecord[]> {
    const entries = await this.persistence.history(s.name, offset, limit);
    return entries.map((e) => ({ ...e, overrides: s.schema.mask(e.overrides) }));
  }

  /** The record of `version` (0: no runtime values); throws CONFIG.VERSION_NOT_FOUND. */
  async find(service: string, version: number): Promise<ConfigRecord> {
    let target: ConfigRecord | undefined = version === 0 ? INITIAL_RECORD : undefined;
    for (let offset = 0; !target && offset < this.historyLimit; offset += 50) {
      const page = await this.persistence.history(service, offset, 50);
      target = page.find((r) => r.version === version);
      if (page.length < 50) break;
    }
    if (!target) {
      throw new ConfigVersionNotFoundError(`${service} has no version ${version} in its history`);
    }
    return target;
  }
}
