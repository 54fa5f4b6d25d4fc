import { randomUUID } from 'node:crypto';
import { RedisStateStore } from './redis-state-store';
import { describeStateStoreContract } from './state-store.contract';

/** The real Redis the test machines run; these tests never skip (CI starts redis-server). */
const REDIS_URL = 'redis://127.0.0.1:6379';

export async function openTestRedisStore(url = REDIS_URL): Promise<RedisStateStore> {
  const store = new RedisStateStore({
    url,
    keyPrefix: `fennec-test:${randomUUID()}:`,
    connectTimeoutMs: 1000,
    commandTimeoutMs: 1000,
    reconnectMaxDelayMs: 200,
  });
  if (!(await store.waitUntilReady(3000))) {
    await store.close();
    throw new Error(`Redis at ${url} is not reachable; start redis-server (these tests do not skip)`);
  }
  return store;
}

describeStateStoreContract(RedisStateStore.name, async () => {
  const store = await openTestRedisStore();
  return {
    store,
    cleanup: async () => {
      await store.deleteByPrefix('');
      await store.close();
    },
  };
});

describe(RedisStateStore.name, () => {
  let store: RedisStateStore;
  beforeAll(async () => (store = await openTestRedisStore()));
  afterAll(async () => {
    await store.deleteByPrefix('');
    await store.close();
  });

  it('should answer a ping on the existing connection', async () => {
    expect(await store.ping()).toBeGreaterThanOrEqual(0);
    expect(store.describe()).toMatchObject({ command: 'ready', subscriber: 'ready' });
  });

  it('should pass command errors that are not about availability through unchanged', async () => {
    await store.pushBounded('typed', 'x', 3);
    await expect(store.get('typed')).rejects.toThrow(/WRONGTYPE/);
  });

  it('should keep other deployments\u2019 keys apart by prefix', async () => {
    const other = await openTestRedisStore();
    try {
      await store.set('shared-name', 'mine');
      expect(await other.get('shared-name')).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
