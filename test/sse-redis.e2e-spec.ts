import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SseTopics } from '../src/platform/streaming/sse-topics.service';
import { SseProbeController } from './fixtures/sse-probe.controller';
import { createTestApp } from './support/create-test-app';
import { SseTestClient } from './support/sse-client';

/** Two app instances sharing the real Redis at 127.0.0.1:6379, as two processes would. */
describe('SSE fan-out across instances through Redis (e2e)', () => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', STATE_KEY_PREFIX: `sse-test-${randomUUID().slice(0, 8)}:` };
  let one: NestExpressApplication;
  let two: NestExpressApplication;
  let baseTwo: string;
  const clients: SseTestClient[] = [];

  beforeAll(async () => {
    one = await createTestApp({ extra: { controllers: [SseProbeController] }, env });
    two = await createTestApp({ extra: { controllers: [SseProbeController] }, env });
    await two.listen(0, '127.0.0.1');
    baseTwo = `http://127.0.0.1:${(two.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await one.close();
    await two.close();
  });

  it('should deliver a publish on one instance to followers on the other, and let them resume there', async () => {
    const topicsOne = one.get(SseTopics);
    const topicsTwo = two.get(SseTopics);
    const c = new SseTestClient(`${baseTwo}/sse-probe/topic/cluster`, ['news']);
    clients.push(c);
    await c.until(() => c.raw.startsWith('retry:'));
    await topicsTwo.ready('cluster');
    const first = await topicsOne.publish('cluster', 'news', { n: 1 });
    await topicsOne.publish('cluster', 'news', { n: 2 });
    await c.until(() => c.of('news').length === 2);
    expect(c.events.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(c.events[0].id).toBe(first);

    const resumed = new SseTestClient(`${baseTwo}/sse-probe/topic/cluster`, ['news'], { 'last-event-id': first });
    clients.push(resumed);
    await resumed.until(() => resumed.of('news').length === 1);
    expect(resumed.of('news')[0].data).toEqual({ n: 2 });

    await topicsOne.close('cluster', { finished: true });
    await c.ended();
    expect(c.events.at(-1)).toMatchObject({ type: 'done', data: { finished: true } });
  });
});
