import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStateStore } from './memory-state-store';
import { RedisProcess } from './redis-process.testing';
import { RedisStateStore } from './redis-state-store';
import type { StateConfig } from './state.config';
import { StateService } from './state.service';

const config = (url?: string): StateConfig => ({
  redisUrl: url,
  keyPrefix: 'svc:',
  connectTimeoutMs: 300,
  commandTimeoutMs: 300,
  reconnectMaxDelayMs: 100,
});

describe(StateService.name, () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('should be UP with the memory backend', async () => {
    const service = new StateService(new MemoryStateStore(), config());
    await service.start();
    expect(await service.checkHealth()).toEqual({ status: 'UP', details: { backend: 'memory' } });
  });

  it('should start without blocking or throwing when Redis is unreachable, report DOWN, then UP once it is back', async () => {
    const redis = new RedisProcess((await RedisProcess.start().then(async (r) => (await r.stop(), r))).port);
    const store = new RedisStateStore({ url: redis.url, ...config(), keyPrefix: 'svc:' });
    const service = new StateService(store, config(redis.url));
    try {
      await expect(service.start()).resolves.toBeUndefined();
      const down = await service.checkHealth();
      expect(down.status).toBe('DOWN');
      expect(down.reason).toMatch(/Redis disconnected/);

      await redis.start();
      expect(await store.waitUntilReady(5000)).toBe(true);
      const up = await service.checkHealth();
      expect(up).toMatchObject({ status: 'UP', details: { backend: 'redis', command: 'ready', subscriber: 'ready' } });
      expect(typeof up.details?.latencyMs).toBe('number');

      await redis.stop();
      for (let i = 0; i < 200 && store.connected; i++) await sleep(10);
      expect((await service.checkHealth()).status).toBe('DOWN');

      // A registry restart (stop + start) must not leave the store closed.
      await service.stop();
      await redis.start();
      await service.start();
      expect((await service.checkHealth()).status).toBe('UP');
    } finally {
      await service.stop();
      await store.close();
      await redis.stop();
    }
  });
});
