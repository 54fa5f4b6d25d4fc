import type { StateStore } from '../../platform/state';
import type { ProjectionRecord, ProjectionResult } from './projection.types';

/**
 * Projections in the platform's state store (memory, or Redis shared by every instance): the
 * record, the result (apart, it can be megabytes), a per-tenant list of ids (newest first) and the
 * cache index from (corpus version, method, params, seed, sample, filter) to a projection id.
 * The tenant is part of every key.
 */
export class ProjectionStore {
  constructor(
    private readonly state: StateStore,
    private readonly options: () => { retentionMs: number; maxListed: number },
  ) {}

  private key(tenant: string, ...parts: string[]): string {
    return ['projections', encodeURIComponent(tenant), ...parts].join(':');
  }

  /** Stores a new projection's record and cache entry and, unless `list` is false, lists it. */
  async create(record: ProjectionRecord, { list = true }: { list?: boolean } = {}): Promise<void> {
    const ttlMs = this.options().retentionMs;
    await this.state.set(this.key(record.tenant, 'record', record.id), JSON.stringify(record), { ttlMs });
    await this.state.set(this.key(record.tenant, 'cache', record.cacheKey), record.id, { ttlMs });
    if (list) await this.state.pushBounded(this.key(record.tenant, 'list'), record.id, this.options().maxListed);
  }

  async record(tenant: string, id: string): Promise<ProjectionRecord | undefined> {
    const raw = await this.state.get(this.key(tenant, 'record', id));
    return raw === undefined ? undefined : (JSON.parse(raw) as ProjectionRecord);
  }

  async saveResult(tenant: string, id: string, result: ProjectionResult): Promise<void> {
    await this.state.set(this.key(tenant, 'result', id), JSON.stringify(result), {
      ttlMs: this.options().retentionMs,
    });
  }

  async result(tenant: string, id: string): Promise<ProjectionResult | undefined> {
    const raw = await this.state.get(this.key(tenant, 'result', id));
    return raw === undefined ? undefined : (JSON.parse(raw) as ProjectionResult);
  }

  /** The id last stored for this cache key, if any. */
  cached(tenant: string, cacheKey: string): Promise<string | undefined> {
    return this.state.get(this.key(tenant, 'cache', cacheKey));
  }

  /** Ids, newest first (some may have expired or been deleted: callers skip those). */
  ids(tenant: string, limit: number): Promise<string[]> {
    return this.state.range(this.key(tenant, 'list'), 0, limit);
  }

  async delete(record: ProjectionRecord): Promise<void> {
    const { tenant, id } = record;
    await this.state.delete(this.key(tenant, 'result', id));
    await this.state.delete(this.key(tenant, 'record', id));
    if ((await this.cached(tenant, record.cacheKey)) === id)
      await this.state.delete(this.key(tenant, 'cache', record.cacheKey));
  }
}
