import { Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { isStateUnavailable, StateOutages, type StateStore } from '../../platform/state';

/**
 * Search answers cached in the shared StateStore, per tenant. Every write moves the tenant to a
 * new generation, so an answer computed before a write (even one still in flight) is never
 * served after it; old generations are deleted and would expire anyway. Best effort: when the
 * state backend is down, searches run uncached (fail-open) rather than fail.
 */
export class RagSearchCache {
  private readonly logger = new Logger('rag');

  constructor(
    private readonly state: StateStore,
    private readonly ttlMs: number,
    private readonly outages = new StateOutages(),
  ) {}

  private generationKey = (tenant: string) => `rag:gen:${tenant}`;
  private prefix = (tenant: string) => `rag:search:${tenant}:`;

  async get<T>(tenant: string, request: unknown): Promise<{ value?: T; key?: string }> {
    if (this.ttlMs === 0) return {};
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
    try {
      await this.state.set(this.generationKey(tenant), randomUUID());
      await this.state.deleteByPrefix(this.prefix(tenant));
    } catch (err) {
      // The generation key may not have moved: stale answers live at most one TTL.
      this.failed('search_cache_invalidation', err);
    }
  }

  private failed(feature: string, err: unknown): void {
    if (isStateUnavailable(err)) this.outages.record(feature, 'open', err);
    else this.logger.warn({ err, feature }, 'search cache operation failed');
  }
}
