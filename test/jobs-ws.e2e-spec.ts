import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { JobFixturesModule } from './fixtures/jobs/job-fixtures.module';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { TEST_KEYS, type TestKey } from './support/test-credentials';

const acme = TEST_KEYS.acme.operator;
const globex = TEST_KEYS.globex.operator;

interface Msg {
  type: string;
  job?: string;
  seq?: number;
  event?: string;
  data?: { state?: string; value?: number; result?: unknown };
  problem?: { code: string };
}

/** A ws client that records every message and how it closed. */
class Client {
  readonly messages: Msg[] = [];
  closedWith?: number;
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  constructor(url: string, key?: TestKey, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, { headers: key ? { authorization: `Bearer ${key.key}` } : {}, ...options });
    this.ws.on('message', (d: Buffer) => this.messages.push(JSON.parse(d.toString()) as Msg));
    this.ws.on('close', (code) => (this.closedWith = code));
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }
  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }
  of(job: string): Msg[] {
    return this.messages.filter((m) => m.job === job);
  }
}

describe('Platform jobs over WebSocket (e2e)', () => {
  let app: NestExpressApplication;
  let base: string;
  let wsUrl: string;
  let dataDir: string;
  const clients: Client[] = [];
  const client = (key?: TestKey, options?: WebSocket.ClientOptions) => {
    const c = new Client(wsUrl, key, options);
    clients.push(c);
    return c;
  };
  const submit = async (kind: string, payload: unknown, key = acme) => {
    const res = await fetch(`${base}/test-jobs/${kind}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-jobs-ws-'));
    app = await createTestApp({
      extra: { imports: [JobFixturesModule] },
      env: { DATA_DIR: dataDir, JOBS_WS_HEARTBEAT_MS: '1000', JOBS_WS_MAX_BUFFERED_BYTES: '65536' },
    });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    wsUrl = `ws://127.0.0.1:${port}/jobs/ws`;
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should refuse the upgrade with 401 without valid credentials', async () => {
    await expect(client().opened).rejects.toThrow('HTTP 401');
    await expect(client({ ...acme, key: 'fk_wrong' }).opened).rejects.toThrow('HTTP 401');
  });

  it("should stream one job's progress and end it with done", async () => {
    const c = client(acme);
    await c.opened;
    const id = await submit('test.echo', { steps: 3, delayMs: 50 });
    c.send({ type: 'subscribe', job: id });
    await eventually(() => c.of(id).some((m) => m.type === 'done'), { what: 'done' });
    const progress = c.of(id).filter((m) => m.event === 'progress');
    expect(progress.map((m) => m.data?.value)).toEqual([1, 2, 3]);
    expect(c.of(id).at(-1)).toMatchObject({ type: 'done', data: { state: 'succeeded' } });
    const seqs = c
      .of(id)
      .filter((m) => m.type === 'event')
      .map((m) => m.seq!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("should deliver every job of the caller's tenant on an all-jobs subscription, and no other tenant's", async () => {
    const c = client(acme);
    await c.opened;
    c.send({ type: 'subscribe', all: true });
    await eventually(() => c.messages.some((m) => m.type === 'subscribed'), { what: 'the subscription is live' });
    const mine = await submit('test.echo', { steps: 1 });
    const theirs = await submit('test.echo', { steps: 1 }, globex);
    const mine2 = await submit('test.echo', { steps: 1 });
    await eventually(
      () => [mine, mine2].every((id) => c.of(id).some((m) => m.event === 'state' && m.data?.state === 'succeeded')),
      { what: 'both jobs seen' },
    );
    expect(c.of(theirs)).toEqual([]);
  });

  it("should answer another tenant's job and bad messages with error problems", async () => {
    const c = client(globex);
    await c.opened;
    const id = await submit('test.echo', {});
    c.send({ type: 'subscribe', job: id });
    c.send({ type: 'dance' });
    c.ws.send('not json');
    await eventually(() => c.messages.length >= 3, { what: 'three answers' });
    expect(c.of(id)[0]).toMatchObject({ type: 'error', problem: { code: 'JOBS.NOT_FOUND' } });
    expect(c.messages.filter((m) => !m.job).map((m) => m.problem?.code)).toEqual([
      'JOBS.INVALID_REQUEST',
      'JOBS.INVALID_REQUEST',
    ]);
  });

  it('should drop a client that does not answer heartbeat pings', async () => {
    const c = client(acme, { autoPong: false });
    await c.opened;
    await eventually(() => c.closedWith !== undefined, { timeoutMs: 10_000, what: 'dropped' });
    const healthy = client(acme);
    await healthy.opened;
    await new Promise((r) => setTimeout(r, 2_500));
    expect(healthy.closedWith).toBeUndefined();
  });

  it('should drop a client that does not read instead of buffering for it', async () => {
    const c = client(acme);
    await c.opened;
    const id = await submit('test.echo', { steps: 200, delayMs: 1, previewBytes: 32_768 });
    c.send({ type: 'subscribe', job: id });
    // Stop reading: the kernel buffers fill, then the server's bufferedAmount grows.
    (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await eventually(
      async () =>
        (
          (await (await fetch(`${base}/jobs/${id}`, { headers: { authorization: `Bearer ${acme.key}` } })).json()) as {
            state: string;
          }
        ).state === 'succeeded',
      { timeoutMs: 15_000 },
    );
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await eventually(() => c.closedWith !== undefined, { timeoutMs: 10_000, what: 'dropped' });
    expect(c.of(id).some((m) => m.type === 'done')).toBe(false);
  });
});
