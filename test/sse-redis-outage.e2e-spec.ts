import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { MetricsService } from '../src/platform/metrics/metrics.service';
import { RedisProcess } from '../src/platform/state/redis-process.testing';
import type { RedisStateStore } from '../src/platform/state/redis-state-store';
import { STATE_STORE } from '../src/platform/state/state-store';
import { SseTopics } from '../src/platform/streaming/sse-topics.service';
import { eventually } from './support/eventually';
import { SseProbeController } from './fixtures/sse-probe.controller';
import { createTestApp } from './support/create-test-app';
import { SseTestClient } from './support/sse-client';

jest.setTimeout(60_000);

/** Two app instances on a redis-server of the test's own, which it kills and starts again empty. */
describe('SSE fan-out when Redis goes away and comes back (e2e)', () => {
  let redis: RedisProcess;
  let one: NestExpressApplication;
  let two: NestExpressApplication;
  let baseTwo: string;
  const clients: SseTestClient[] = [];

  beforeAll(async () => {
    redis = await RedisProcess.start();
    const env = {
      REDIS_URL: redis.url,
      STATE_KEY_PREFIX: `sse-outage-${randomUUID().slice(0, 8)}:`,
      STATE_RECONNECT_MAX_DELAY_MS: '100',
      STATE_COMMAND_TIMEOUT_MS: '300',
    };
    one = await createTestApp({ extra: { controllers: [SseProbeController] }, env });
    two = await createTestApp({ extra: { controllers: [SseProbeController] }, env });
    await two.listen(0, '127.0.0.1');
    baseTwo = `http://127.0.0.1:${(two.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await one?.close();
    await two?.close();
    await redis?.stop();
  });

  const follow = async (topic: string, headers: Record<string, string> = {}) => {
    const c = new SseTestClient(`${baseTwo}/sse-probe/topic/${topic}`, ['news'], headers);
    clients.push(c);
    await c.until(() => c.raw.startsWith('retry:'));
    return c;
  };

  it('should reset followers that may have missed events, answer a resume from before with reset, and fan out again', async () => {
    const topicsOne = one.get(SseTopics);
    const topicsTwo = two.get(SseTopics);
    const c = await follow('outage');
    await topicsTwo.ready('outage');
    const first = await topicsOne.publish('outage', 'news', { n: 1 });
    await c.until(() => c.of('news').length === 1);

    // Both instances: `one` publishes after the outage, `two` delivers to the followers.
    const recovered = Promise.all([one, two].map((app) => once(app.get<RedisStateStore>(STATE_STORE), 'recovered')));
    await redis.stop();
    // Published while Redis is down: followers on `one` would get it, those on `two` cannot.
    await topicsOne.publish('outage', 'news', { n: 2 });
    // A topic first followed while Redis is down.
    const late = await follow('late');
    await redis.start();
    await recovered;

    await c.until(() => c.of('reset').length === 1);
    expect(c.of('news').map((e) => e.data)).toEqual([{ n: 1 }]);
    // A resume from before the outage gets `reset`, not a replay with a hole in it.
    const resumed = await follow('outage', { 'last-event-id': first });
    await resumed.until(() => resumed.events.length > 0);
    expect(resumed.events[0]).toMatchObject({ type: 'reset' });

    // Fan-out works again, for the topic followed during the outage too.
    await topicsOne.publish('outage', 'news', { n: 3 });
    await c.until(() => c.of('news').length === 2);
    expect(c.of('news')[1].data).toEqual({ n: 3 });
    await eventually(
      async () => {
        await topicsOne.publish('late', 'news', { n: 'late' });
        return late.of('news').length > 0;
      },
      { what: 'the late topic receives from the other instance' },
    );
    const metrics = await one.get(MetricsService).registry.metrics();
    expect(metrics).toMatch(/fennec_state_unavailable_total\{feature="sse_fanout",outcome="open"\} [1-9]/);
  });
});
