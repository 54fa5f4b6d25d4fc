import { Inject, Injectable, Logger } from '@nestjs/common';
import { ManagedService } from '../registry/managed-service.decorator';
import type { ManagedLifecycle, ServiceHealthReport } from '../registry/managed-service.types';
import { RedisStateStore } from './redis-state-store';
import { STATE_STORE, type StateStore } from './state-store';
import { stateConfig, type StateConfig } from './state.config';

/**
 * The `state` managed service: health and lifecycle of the shared-state backend.
 *
 * Not critical on purpose: with REDIS_URL set and Redis down at boot, the instance still boots
 * (DEGRADED, `state` DOWN), commands fail fast with STATE.UNAVAILABLE, and the client keeps
 * reconnecting in the background, so the instance recovers without a restart. `start()` waits at
 * most STATE_CONNECT_TIMEOUT_MS and never throws for an unreachable Redis.
 */
@ManagedService({
  name: 'state',
  critical: false,
  description: 'Shared state: in-memory, or Redis when REDIS_URL is set',
  healthTtlMs: 1000,
})
@Injectable()
export class StateService implements ManagedLifecycle {
  private readonly logger = new Logger('state');

  constructor(
    @Inject(STATE_STORE) private readonly store: StateStore,
    @Inject(stateConfig.KEY) private readonly config: StateConfig,
  ) {}

  /** Which backend holds shared state. */
  get backend(): StateStore['backend'] {
    return this.store.backend;
  }

  async start(): Promise<void> {
    if (!(this.store instanceof RedisStateStore)) return;
    if (!(await this.store.waitUntilReady(this.config.connectTimeoutMs))) {
      this.logger.warn(
        { ...this.store.describe(), waitedMs: this.config.connectTimeoutMs },
        'Redis is not reachable; starting DEGRADED and reconnecting in the background',
      );
    }
  }

  /**
   * Keeps the connections open on purpose: services that stop after this one (or a registry
   * restart of `state`) may still need shared state. StateModule closes them at app shutdown.
   */
  async stop(): Promise<void> {}

  /** Reuses the existing connections: status first, then one PING on the command connection. */
  async checkHealth(): Promise<ServiceHealthReport> {
    if (!(this.store instanceof RedisStateStore)) return { status: 'UP', details: { backend: 'memory' } };
    const connections = this.store.describe();
    const details: Record<string, unknown> = { backend: 'redis', ...connections };
    if (!this.store.connected) {
      return { status: 'DOWN', reason: `Redis disconnected (${connections.command})`, details };
    }
    try {
      details.latencyMs = Math.round((await this.store.ping()) * 100) / 100;
    } catch (err) {
      return { status: 'DOWN', reason: err instanceof Error ? err.message : String(err), details };
    }
    if (connections.subscriber !== 'ready') {
      return { status: 'DEGRADED', reason: `Redis pub/sub connection ${connections.subscriber}`, details };
    }
    return { status: 'UP', details };
  }
}
