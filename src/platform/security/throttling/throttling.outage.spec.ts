import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { MetricsService } from '../../metrics/metrics.service';
import { RedisProcess } from '../../state/redis-process.testing';
import { RedisStateStore } from '../../state/redis-state-store';
import { StateOutages } from '../../state/state-outages';
import { StateThrottlerStorage } from './state-throttler.storage';
import type { ThrottlingConfig } from './throttling.config';
import { TRUST_READ_CACHE_MS, TrustScoreService } from './trust-score.service';

const COMMAND_TIMEOUT_MS = 300;
const config = { adaptive: { trustHalfLifeMs: 600_000, minFactor: 0.2 } } as ThrottlingConfig;

/**
 * Rate-limit windows and trust scores on a redis-server of their own, which the tests restart
 * empty and freeze. (What the guard does with an unavailable store, fail open or closed, is pinned
 * end to end in test/redis-outage.e2e-spec.ts.)
 */
describe('Rate limits and trust scores when Redis restarts empty or stops answering', () => {
  let redis: RedisProcess;
  let store: RedisStateStore;
  let metrics: MetricsService;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = await RedisProcess.start();
    store = new RedisStateStore({
      url: redis.url,
      keyPrefix: 'throttle-outage:',
      connectTimeoutMs: 500,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      reconnectMaxDelayMs: 100,
    });
    expect(await store.waitUntilReady(3000)).toBe(true);
    metrics = new MetricsService({ prefix: 'fennec_', defaultProcessMetrics: false });
  });

  afterAll(async () => {
    redis?.resume();
    await store?.close();
    await redis?.stop();
  });

  const restartEmpty = async () => {
    const recovered = once(store, 'recovered');
    await redis.stop();
    await redis.start();
    expect(await recovered).toEqual([{ dataLost: true }]);
  };

  it('should start every window afresh, blocks included, after Redis restarted empty', async () => {
    const storage = new StateThrottlerStorage(store);
    for (let i = 0; i < 3; i++) await storage.increment('client', 60_000, 3, 60_000, 'sustained');
    expect(await storage.increment('client', 60_000, 3, 60_000, 'sustained')).toMatchObject({ isBlocked: true });
    await restartEmpty();
    expect(await storage.increment('client', 60_000, 3, 60_000, 'sustained')).toMatchObject({
      totalHits: 1,
      isBlocked: false,
    });
  });

  it('should forget penalties after Redis restarted empty', async () => {
    const trust = new TrustScoreService(store, config);
    await trust.penalise('ip:10.0.0.1', 'input.rejected');
    expect(await trust.factor('ip:10.0.0.1')).toBeLessThan(1);
    await restartEmpty();
    // Once this instance's short read cache has expired, the forgotten penalty is gone here too.
    await sleep(TRUST_READ_CACHE_MS + 50);
    expect(await trust.factor('ip:10.0.0.1')).toBe(1);
  });

  it('should fail open at once while Redis stops answering: trust as last known, counts unavailable', async () => {
    const outages = new StateOutages(metrics);
    const trust = new TrustScoreService(store, config, outages);
    const storage = new StateThrottlerStorage(store);
    await trust.penalise('ip:10.0.0.2', 'input.rejected');
    const known = await trust.factor('ip:10.0.0.2');
    expect(known).toBeLessThan(1);
    const recovered = once(store, 'recovered');
    redis.pause();
    try {
      await sleep(TRUST_READ_CACHE_MS + 50);
      const started = performance.now();
      // Read from the store (the cache expired): the store does not answer, the factor does.
      expect(await trust.factor('ip:10.0.0.2')).toBeCloseTo(known, 2);
      expect(await trust.factor('ip:10.0.0.3')).toBe(1);
      await expect(storage.increment('client-2', 60_000, 3, 60_000, 'sustained')).rejects.toMatchObject({
        code: 'STATE.UNAVAILABLE',
      });
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS * 4);
    } finally {
      redis.resume();
    }
    await recovered;
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/fennec_state_unavailable_total\{feature="trust_score",outcome="open"\} [1-9]/);
  });
});
