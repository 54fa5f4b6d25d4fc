import { Global, Logger, Module, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MemoryStateStore } from './memory-state-store';
import { RedisStateStore } from './redis-state-store';
import { STATE_STORE, StateStore } from './state-store';
import { stateConfig, type StateConfig } from './state.config';
import { StateOutages } from './state-outages';
import { StateService } from './state.service';

/**
 * Builds the store. With Redis it waits (bounded by STATE_CONNECT_TIMEOUT_MS) for the first
 * connection, so modules that read state while initialising usually find it connected; it never
 * fails boot because Redis is down.
 */
async function createStateStore(config: StateConfig): Promise<StateStore> {
  if (!config.redisUrl) return new MemoryStateStore();
  const store = new RedisStateStore({
    url: config.redisUrl,
    keyPrefix: config.keyPrefix,
    connectTimeoutMs: config.connectTimeoutMs,
    commandTimeoutMs: config.commandTimeoutMs,
    reconnectMaxDelayMs: config.reconnectMaxDelayMs,
  });
  if (!(await store.waitUntilReady(config.connectTimeoutMs))) {
    new Logger('state').warn({ ...store.describe() }, 'Redis not reachable at boot; continuing without it');
  }
  return store;
}

/** Shared state for the whole app: inject `StateStore` (or `@Inject(STATE_STORE)`). */
@Global()
@Module({
  imports: [ConfigModule.forFeature(stateConfig)],
  providers: [
    { provide: STATE_STORE, inject: [stateConfig.KEY], useFactory: createStateStore },
    { provide: StateStore, useExisting: STATE_STORE },
    StateService,
    StateOutages,
  ],
  exports: [STATE_STORE, StateStore, StateService, StateOutages],
})
export class StateModule implements OnApplicationShutdown {
  constructor(@Inject(STATE_STORE) private readonly store: StateStore) {}

  /** Closes Redis even when no registry stopped the `state` service (e.g. in tests). */
  async onApplicationShutdown(): Promise<void> {
    if (this.store instanceof RedisStateStore) await this.store.close();
  }
}
