import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { SseConnection } from './sse-connection';
import type { SseOverflowPolicy } from './streaming.config';
import { StreamingMetrics } from './streaming.metrics';

/** A response whose socket "fills up" on demand. */
class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  full = false;
  destroyed = false;
  ended = false;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
  end(): void {
    this.ended = true;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  drain(): void {
    this.full = false;
    this.emit('drain');
  }
  get text(): string {
    return this.chunks.join('');
  }
}

function setup(overflow: SseOverflowPolicy, queueMax = 3) {
  const registry = new Registry();
  const metrics = new StreamingMetrics(registry, (b) => `t_${b}`);
  const res = new FakeResponse();
  const conn = new SseConnection(res as unknown as ServerResponse, { retryMs: 500, queueMax, overflow }, metrics);
  conn.open();
  return { res, conn, registry };
}

const ids = (text: string) => [...text.matchAll(/^id: (\S+)$/gm)].map((m) => m[1]);

describe(SseConnection.name, () => {
  it('should write the retry hint, then each event as id/event/data', () => {
    const { res, conn } = setup('drop-oldest');
    conn.send('1', 'tick', { a: 1 });
    expect(res.text).toBe('retry: 500\n\nid: 1\nevent: tick\ndata: {"a":1}\n\n');
  });

  it('should queue while the socket is full, drop the oldest beyond the bound, and send one gap event on drain', async () => {
    const { res, conn, registry } = setup('drop-oldest', 3);
    res.full = true;
    conn.send('1', 'e', 1); // written; the socket is now full
    for (let i = 2; i <= 7; i++) conn.send(String(i), 'e', i);
    res.chunks = [];
    res.drain();
    expect(res.text).toContain('event: gap\ndata: {"dropped":3,"firstId":"2","lastId":"4"}');
    // gap carries the id of the last dropped event, then the kept ones follow.
    expect(ids(res.text)).toEqual(['4', '5', '6', '7']);
    expect(await registry.getSingleMetricAsString('t_sse_dropped_events_total')).toContain(' 3');
  });

  it('should close a client that falls behind when the policy is disconnect', () => {
    const { res, conn } = setup('disconnect', 2);
    res.full = true;
    conn.send('1', 'e', 1);
    conn.send('2', 'e', 2);
    conn.send('3', 'e', 3);
    expect(res.destroyed).toBe(false);
    expect(conn.send('4', 'e', 4)).toBe(false);
    expect(res.destroyed).toBe(true);
    expect(conn.closed).toBe(true);
  });

  it('should hold pull sources back until the socket drains', async () => {
    const { res, conn } = setup('drop-oldest');
    res.full = true;
    conn.send('1', 'e', 1);
    let resumed = false;
    const waiting = conn.whenWritable().then(() => (resumed = true));
    await Promise.resolve();
    expect(resumed).toBe(false);
    res.drain();
    await waiting;
    expect(resumed).toBe(true);
  });

  it('should end with exactly one terminal event after what is queued, and run cleanups once', () => {
    const { res, conn } = setup('drop-oldest');
    const cleanup = jest.fn();
    conn.onClose(cleanup);
    res.full = true;
    conn.send('1', 'e', 1);
    conn.send('2', 'e', 2);
    conn.done('3', { ok: true });
    conn.done('4', {});
    expect(ids(res.text)).toEqual(['1', '2', '3']);
    expect(res.text.endsWith('id: 3\nevent: done\ndata: {"ok":true}\n\n')).toBe(true);
    expect(res.ended).toBe(true);
    expect(cleanup).toHaveBeenCalledTimes(1);
    expect(conn.signal.aborted).toBe(true);
  });

  it('should skip heartbeats while the client is behind', () => {
    const { res, conn } = setup('drop-oldest');
    conn.heartbeat();
    expect(res.text.endsWith(': ping\n\n')).toBe(true);
    res.full = true;
    conn.send('1', 'e', 1);
    res.chunks = [];
    conn.heartbeat();
    expect(res.chunks).toEqual([]);
  });
});
