import { Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { isStateUnavailable, StateOutages, type StateStore } from '../../platform/state';

/**
 * Search answers cached in the shared StateStore, per tenant. Every write moves the tenant to a
 * new generation, so an answer computed before a write (even one still in flight) is never
 * served after it; old generations are deleted and would expire anyway. Best effort: when the
 * state backend is down, searches run uncached (fail-open) rather than fail.
 *
 * A write whose invalidation could not reach the store leaves the tenant unsettled: this
 * instance bypasses the tenant's cache until the generation has moved, which it tries again on
 * the tenant's next search and as soon as the store is back, so answers cached before the write
 * are not served after the outage. A store that restarted empty lost the answers with the
 * generations: nothing stale survives it.
 */
export class RagSearchCache {
  private readonly logger = new Logger('rag');
  /** Tenants written to while their generation could not be moved. */
  private readonly unsettled = new Set<string>();

  constructor(
    private readonly state: StateStore,
    private readonly ttlMs: number,
    private readonly outages = new StateOutages(),
  ) {
    if (ttlMs > 0) state.onRecovered(() => void this.settleAll());
  }

  private generationKey = (tenant: string) => `rag:gen:${tenant}`;
  private prefix = (tenant: string) => `rag:search:${tenant}:`;

  async get<T>(tenant: string, request: unknown): Promise<{ value?: T; key?: string }> {
    if (this.ttlMs === 0) return {};
    if (this.unsettled.has(tenant) && !(await this.settle(tenant))) return {};
    try {
      const generation = (await this.state.get(this.generationKey(tenant))) ?? '0';
      const hash = createHash('sha256').update(JSON.stringify(request)).digest('base64url');
      const key = `${this.prefix(tenant)}${generation}:${hash}`;
      const raw = await this.state.get(key);
      return { key, value: raw === undefined ? undefined : (JSON.parse(raw) as T) };
    } catch (err) {
      this.failed('search_cache', err);
      return {};
    }
  }

  async set(key: string | undefined, value: unknown): Promise<void> {
    if (key === undefined) return;
    try {
      await this.state.set(key, JSON.stringify(value), { ttlMs: this.ttlMs });
    } catch (err) {
      this.failed('search_cache', err);
    }
  }

  /** After any write to the tenant's documents. */
  async invalidate(tenant: string): Promise<void> {
    if (this.ttlMs === 0) return;
    this.unsettled.add(tenant);
    await this.settle(tenant);
  }

  /** Moves the tenant's generation; resolves whether it moved (then its cache is usable again). */
  private async settle(tenant: string): Promise<boolean> {
    try {
      await this.state.set(this.generationKey(tenant), randomUUID());
    } catch (err) {
      this.failed('search_cache_invalidation', err);
      return false;
    }
    this.unsettled.delete(tenant);
    try {
      // Only tidying: answers of older generations are unreachable already, and expire.
      await this.state.deleteByPrefix(this.prefix(tenant));
    } catch (err) {
      this.failed('search_cache_invalidation', err);
    }
    return true;
  }

  private async settleAll(): Promise<void> {
    for (const tenant of [...this.unsettled]) await this.settle(tenant);
  }

  private failed(feature: string, err: unknown): void {
    if (isStateUnavailable(err)) this.outages.record(feature, 'open', err);
    else this.logger.warn({ err, feature }, 'search cache operation failed');
  }
}
