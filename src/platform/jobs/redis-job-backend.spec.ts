import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { describeJobBackendContract } from './job-backend.contract';
import { RedisJobBackend } from './redis-job-backend';

/** The real Redis the test machines run; these tests never skip (CI starts redis-server). */
const REDIS_URL = 'redis://127.0.0.1:6379';

describeJobBackendContract(RedisJobBackend.name, () => {
  const keyPrefix = `fennec-test:${randomUUID()}:`;
  return Promise.resolve({
    backend: new RedisJobBackend({ url: REDIS_URL, keyPrefix }),
    cleanup: async () => {
      // Only this run's keys (unique prefix); the shared Redis is never flushed.
      const redis = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
  });
});
