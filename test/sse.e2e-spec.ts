import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SseStreams } from '../src/platform/streaming/sse-streams.service';
import { SseProbeController, sseProbeState } from './fixtures/sse-probe.controller';
import { createTestApp } from './support/create-test-app';
import { SseTestClient } from './support/sse-client';

async function listen(app: NestExpressApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('SSE toolkit (e2e)', () => {
  let app: NestExpressApplication;
  let base: string;
  const clients: SseTestClient[] = [];
  const client = (path: string, types: string[] = ['tick', 'news'], headers?: Record<string, string>) => {
    const c = new SseTestClient(base + path, types, headers);
    clients.push(c);
    return c;
  };
  const publish = async (topic: string, data: unknown) => {
    const res = await fetch(`${base}/sse-probe/topic/${topic}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'news', data }),
    });
    return ((await res.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    app = await createTestApp({
      extra: { controllers: [SseProbeController] },
      env: { SSE_HEARTBEAT_MS: '1000', SSE_RETRY_MS: '1234', SSE_REPLAY_BUFFER: '3' },
    });
    base = await listen(app);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(() => app.close());

  it('should stream typed events with increasing ids, a retry hint, and end with done', async () => {
    const c = client('/sse-probe/count?n=3');
    await c.ended();
    expect(c.events).toEqual([
      { type: 'tick', id: '1', data: { i: 0 } },
      { type: 'tick', id: '2', data: { i: 1 } },
      { type: 'tick', id: '3', data: { i: 2 } },
      { type: 'done', id: '4', data: { count: 3 } },
    ]);
    expect(c.raw.startsWith('retry: 1234\n\n')).toBe(true);
  });

  it('should stream an Observable and end with done', async () => {
    const c = client('/sse-probe/observable');
    await c.ended();
    expect(c.events.map((e) => e.type)).toEqual(['tick', 'tick', 'tick', 'done']);
  });

  it('should turn a domain error after the headers into an error event with a problem object', async () => {
    const c = client('/sse-probe/fail-after?n=2', ['tick'], { 'x-request-id': 'sse-fail-1' });
    await c.ended();
    expect(c.of('tick')).toHaveLength(2);
    expect(c.events[2]).toEqual({
      type: 'error',
      id: '3',
      data: {
        type: 'urn:fennec:problem:upstream.timeout',
        title: 'Gateway Timeout',
        status: 504,
        detail: 'Upstream "llm" did not answer in time',
        instance: '/sse-probe/fail-after',
        code: 'UPSTREAM.TIMEOUT',
        requestId: 'sse-fail-1',
      },
    });
  });

  it('should hide the cause of an unexpected source error', async () => {
    const c = client('/sse-probe/crash');
    await c.ended();
    const err = c.of('error')[0].data as { code: string; status: number; detail: string };
    expect(err.code).toBe('STREAM.FAILED');
    expect(err.status).toBe(500);
    expect(JSON.stringify(err)).not.toMatch(/secret|srv/);
  });

  it('should send heartbeat comments at the configured interval', async () => {
    const c = client('/sse-probe/topic/quiet');
    await c.until(() => c.raw.includes(': ping\n\n'), 3_000);
    expect(c.events).toEqual([]);
  });

  it('should clean up at once when the client disconnects: source finalized, aborted, no stream or timer left', async () => {
    const sse = app.get(SseStreams);
    const baseline = { ...sseProbeState };
    const timersBefore = timers();
    const c = client('/sse-probe/forever');
    await c.until(() => c.of('tick').length >= 2);
    expect(sse.openCount).toBe(1);
    c.close();
    for (let i = 0; i < 50 && sseProbeState.finalized === baseline.finalized; i++) await sleep(10);
    expect(sseProbeState.started).toBe(baseline.started + 1);
    expect(sseProbeState.aborted).toBe(baseline.aborted + 1);
    expect(sseProbeState.finalized).toBe(baseline.finalized + 1);
    expect(sse.openCount).toBe(0);
    expect(timers()).toBeLessThanOrEqual(timersBefore);
  });

  it('should fan a topic out to many clients and resume a client from Last-Event-ID', async () => {
    const a = client('/sse-probe/topic/news');
    const b = client('/sse-probe/topic/news');
    // A follower is subscribed once its stream has opened (the first bytes are the retry hint).
    await Promise.all([a, b].map((c) => c.until(() => c.raw.length > 0)));
    const id1 = await publish('news', { n: 1 });
    await publish('news', { n: 2 });
    await a.until(() => a.of('news').length === 2);
    await b.until(() => b.of('news').length === 2);
    expect(a.events.map((e) => e.id)).toEqual(b.events.map((e) => e.id));
    expect(BigInt(a.events[1].id)).toBeGreaterThan(BigInt(a.events[0].id));
    a.close();
    await publish('news', { n: 3 });
    const resumed = client('/sse-probe/topic/news', ['news'], { 'last-event-id': id1 });
    await resumed.until(() => resumed.of('news').length === 2);
    expect(resumed.events.map((e) => e.data)).toEqual([{ n: 2 }, { n: 3 }]);
  });

  it('should send reset when the buffer no longer holds the Last-Event-ID', async () => {
    const first = await publish('busy', { n: 0 });
    for (let n = 1; n <= 4; n++) await publish('busy', { n });
    const c = client('/sse-probe/topic/busy', ['news'], { 'last-event-id': first });
    await c.until(() => c.of('reset').length === 1);
    expect(c.of('news')).toEqual([]);
    const latest = (c.of('reset')[0].data as { latestId: string }).latestId;
    await publish('busy', { n: 5 });
    await c.until(() => c.of('news').length === 1);
    expect(BigInt(c.of('news')[0].id)).toBeGreaterThan(BigInt(latest));
  });

  it('should send reset to a one-off stream resumed with Last-Event-ID', async () => {
    const c = client('/sse-probe/count?n=1', ['tick'], { 'last-event-id': '7' });
    await c.ended();
    expect(c.events.map((e) => e.type)).toEqual(['reset', 'tick', 'done']);
  });

  it('should end every follower with done when the topic is closed', async () => {
    const c = client('/sse-probe/topic/job-1');
    await c.until(() => c.raw.length > 0);
    await fetch(`${base}/sse-probe/topic/job-1/close`, { method: 'POST' });
    await c.ended();
    expect(c.events.at(-1)).toMatchObject({ type: 'done', data: { closed: true } });
  });

  it('should count streams and events in /metrics', async () => {
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/fennec_sse_events_sent_total [1-9]/);
    expect(text).toMatch(/fennec_sse_stream_duration_seconds_count\{reason="done"\} [1-9]/);
    expect(text).toMatch(/fennec_sse_open_streams 0/);
  });
});

describe('SSE toolkit on shutdown (e2e)', () => {
  it('should end open streams with a terminal error event when the app shuts down', async () => {
    const app = await createTestApp({ extra: { controllers: [SseProbeController] } });
    const base = await listen(app);
    const c = new SseTestClient(`${base}/sse-probe/forever`, ['tick']);
    await c.until(() => c.of('tick').length >= 1);
    await app.close();
    await c.ended();
    c.close();
    expect(c.events.at(-1)).toMatchObject({
      type: 'error',
      data: { code: 'STREAM.SHUTTING_DOWN', status: 503, retryAfter: 1 },
    });
  });
});
