import { Logger } from '@nestjs/common';
import type { Request } from 'express';
import { once } from 'node:events';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { RedisProcess } from '../../platform/state/redis-process.testing';
import { RedisStateStore } from '../../platform/state/redis-state-store';
import { StateOutages } from '../../platform/state/state-outages';
import { LlmStreamLimiter } from './llm-stream-limiter';
import type { LlmConfig } from './llm.config';

const COMMAND_TIMEOUT_MS = 300;

/** The streamed-answer limit on a redis-server of its own, restarted empty and frozen here. */
describe(`${LlmStreamLimiter.name} outage`, () => {
  let redis: RedisProcess;
  let store: RedisStateStore;
  let metrics: MetricsService;
  let limiter: LlmStreamLimiter;
  const req = { ip: '10.1.2.3' } as Request;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    redis = await RedisProcess.start();
    store = new RedisStateStore({
      url: redis.url,
      keyPrefix: 'llm-outage:',
      connectTimeoutMs: 500,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      reconnectMaxDelayMs: 100,
    });
    expect(await store.waitUntilReady(3000)).toBe(true);
    metrics = new MetricsService({ prefix: 'fennec_', defaultProcessMetrics: false });
    limiter = new LlmStreamLimiter({ streamsPerMinute: 2 } as LlmConfig, store, new StateOutages(metrics));
  });

  afterAll(async () => {
    redis?.resume();
    await store?.close();
    await redis?.stop();
  });

  it('should count afresh after Redis restarted empty', async () => {
    await limiter.admit(req);
    await limiter.admit(req);
    await expect(limiter.admit(req)).rejects.toMatchObject({ code: 'RATE_LIMIT.EXCEEDED' });
    const recovered = once(store, 'recovered');
    await redis.stop();
    await redis.start();
    await recovered;
    await expect(limiter.admit(req)).resolves.toBeUndefined();
  });

  it('should admit streams at once, counted as unchecked, while Redis stops answering', async () => {
    await limiter.admit(req);
    await expect(limiter.admit(req)).rejects.toMatchObject({ code: 'RATE_LIMIT.EXCEEDED' });
    const recovered = once(store, 'recovered');
    redis.pause();
    try {
      const started = performance.now();
      for (let i = 0; i < 5; i++) await expect(limiter.admit(req)).resolves.toBeUndefined();
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS * 4);
    } finally {
      redis.resume();
    }
    await recovered;
    expect(await metrics.registry.metrics()).toMatch(
      /fennec_state_unavailable_total\{feature="llm_stream_limit",outcome="open"\} 5/,
    );
  });
});
