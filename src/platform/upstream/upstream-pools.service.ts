import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service';
import { ManagedService } from '../registry/managed-service.decorator';
import type { ManagedLifecycle, ServiceHealthReport } from '../registry/managed-service.types';
import { UpstreamPool } from './upstream-pool';
import type { UpstreamPoolSnapshot } from './upstream-snapshot';
import { UpstreamMetrics } from './upstream.metrics';
import type { UpstreamPoolOptions } from './upstream.types';

/**
 * Registry and factory of the application's upstream pools, and the one managed service
 * (`upstreams`) that reports their health: DOWN when some pool has no instance up, DEGRADED when
 * some pool has instances down, UP otherwise ("up": not ejected, circuit admits calls, and not
 * failing an active probe).
 *
 * A service creates its pool once (e.g. in its constructor or `start()`):
 * `this.pool = pools.create('ollama', { instances, strategy: 'least-outstanding' })`.
 */
@ManagedService({
  name: 'upstreams',
  critical: false,
  description: 'Load-balanced, circuit-broken pools of upstream instances',
})
@Injectable()
export class UpstreamPools implements ManagedLifecycle, OnApplicationShutdown {
  private readonly pools = new Map<string, UpstreamPool>();
  private readonly metrics: UpstreamMetrics;

  constructor(metrics: MetricsService) {
    this.metrics = new UpstreamMetrics(metrics.registry, (base) => metrics.name(base));
  }

  /** Creates and registers a pool. Names are unique: creating an existing name throws. */
  create(name: string, options: UpstreamPoolOptions): UpstreamPool {
    if (this.pools.has(name)) throw new Error(`Upstream pool "${name}" already exists`);
    const pool = new UpstreamPool(name, options, { metrics: this.metrics });
    this.pools.set(name, pool);
    return pool;
  }

  get(name: string): UpstreamPool | undefined {
    return this.pools.get(name);
  }

  /** Closes and forgets a pool. */
  async remove(name: string): Promise<void> {
    const pool = this.pools.get(name);
    this.pools.delete(name);
    await pool?.close();
  }

  snapshot(): UpstreamPoolSnapshot[] {
    return [...this.pools.values()].map((p) => p.snapshot());
  }

  checkHealth(): Promise<ServiceHealthReport> {
    const pools = this.snapshot();
    const details = Object.fromEntries(
      pools.map((p) => [
        p.name,
        {
          up: p.up,
          total: p.total,
          breakers: Object.fromEntries(p.instances.map((i) => [i.id, i.breaker])),
          probes: Object.fromEntries(p.instances.map((i) => [i.id, i.probe])),
        },
      ]),
    );
    const empty = pools.filter((p) => p.up === 0).map((p) => p.name);
    const partial = pools.filter((p) => p.up > 0 && p.up < p.total).map((p) => p.name);
    if (empty.length > 0) {
      return Promise.resolve({ status: 'DOWN', reason: `no instance up in: ${empty.join(', ')}`, details });
    }
    if (partial.length > 0) {
      return Promise.resolve({ status: 'DEGRADED', reason: `instances down in: ${partial.join(', ')}`, details });
    }
    return Promise.resolve({ status: 'UP', details });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.pools.keys()].map((name) => this.remove(name)));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
