import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { forward, freePort } from './llm/tcp-forwarder';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

const OPERATOR = bearer(TEST_AUTH.operator);
const ADMIN = bearer(TEST_AUTH.admin);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface InstanceStatus {
  id: string;
  up: boolean;
  probe: string;
  probedAt?: string;
  probeDetail?: string;
}
interface PoolStatus {
  name: string;
  up: number;
  total: number;
  panic: boolean;
  instances: InstanceStatus[];
}

/**
 * The LLM gateway's Ollama prober feeds the `ollama` pool's active health: two fake Ollamas, the
 * first reachable only through a TCP forwarder on a fixed port, so "stopping" it refuses
 * connections on that address and "starting" it again answers there as before.
 */
describe('Active health of upstream pools, fed by the Ollama prober (e2e)', () => {
  let app: NestExpressApplication;
  let fakeA: FakeOllama;
  let fakeB: FakeOllama;
  let portA: number;
  let forwarderA: { close(): Promise<void> } | undefined;
  let idA: string;
  let idB: string;

  beforeAll(async () => {
    [fakeA, fakeB] = await Promise.all([FakeOllama.start(), FakeOllama.start()]);
    portA = await freePort();
    forwarderA = await forward(portA, fakeA.url);
    idA = `127.0.0.1:${portA}`;
    idB = new URL(fakeB.url).host;
    app = await createTestApp({
      env: {
        OLLAMA_URLS: `http://127.0.0.1:${portA},${fakeB.url}`,
        OLLAMA_STRATEGY: 'round-robin',
        LLM_HEALTH_INTERVAL_MS: '500',
        LLM_CHAT_PER_MINUTE: '10000',
      },
    });
  });
  afterAll(async () => {
    await app.close();
    await forwarderA?.close();
    await Promise.all([fakeA.close(), fakeB.close()]);
  });

  const http = () => request(app.getHttpServer());

  async function ollamaPool(): Promise<PoolStatus> {
    const res = await http().get('/upstreams').set('authorization', OPERATOR);
    expect(res.status).toBe(200);
    return (res.body.pools as PoolStatus[]).find((p) => p.name === 'ollama')!;
  }
  const instanceOf = (pool: PoolStatus, id: string) => pool.instances.find((i) => i.id === id)!;

  /** Polls `/upstreams` until instance `id` matches, for a few probe cycles at most. */
  async function waitForInstance(id: string, want: (i: InstanceStatus) => boolean): Promise<PoolStatus> {
    const until = Date.now() + 5_000;
    let pool = await ollamaPool();
    while (!want(instanceOf(pool, id)) && Date.now() < until) {
      await sleep(100);
      pool = await ollamaPool();
    }
    return pool;
  }

  async function metric(name: string, instance: string): Promise<number | undefined> {
    const res = await http().get('/metrics').set('authorization', OPERATOR);
    const line = res.text.split('\n').find((l) => l.startsWith(`${name}{pool="ollama",instance="${instance}"}`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  }

  const chat = () =>
    http()
      .post('/v1/llm/chat')
      .set('authorization', bearer(TEST_AUTH.viewer))
      .send({ messages: [{ role: 'user', content: 'hi' }] });
  const chatsOn = (fake: FakeOllama) => fake.requests.filter((r) => r.path === '/api/chat').length;

  it('should show both instances probed healthy and up, with no traffic yet', async () => {
    const pool = await ollamaPool();
    expect(pool).toMatchObject({ up: 2, total: 2, panic: false });
    for (const id of [idA, idB]) {
      expect(instanceOf(pool, id)).toMatchObject({ up: true, probe: 'healthy', breaker: 'closed' });
      expect(Date.parse(instanceOf(pool, id).probedAt ?? '')).toBeGreaterThan(Date.now() - 5_000);
    }
    expect(await metric('fennec_upstream_probe_healthy', idA)).toBe(1);
  });

  it('should report a stopped instance not up after a probe cycle, with no real call to notice it, and route around it', async () => {
    await forwarderA?.close();
    forwarderA = undefined;

    // A probe in flight when the forwarder closes sees ECONNRESET; the next one finds the port shut.
    const pool = await waitForInstance(idA, (i) => i.probe === 'unhealthy' && i.probeDetail === 'ECONNREFUSED');
    expect(instanceOf(pool, idA)).toMatchObject({
      up: false,
      probe: 'unhealthy',
      probeDetail: 'ECONNREFUSED',
      breaker: 'closed',
      ejected: false,
    });
    expect(instanceOf(pool, idB)).toMatchObject({ up: true, probe: 'healthy' });
    expect(pool).toMatchObject({ up: 1, total: 2, panic: false });
    expect(await metric('fennec_upstream_probe_healthy', idA)).toBe(0);
    const upstreams = await http().get('/services/upstreams').set('authorization', ADMIN);
    expect(upstreams.body.health).toMatchObject({ status: 'DEGRADED', reason: 'instances down in: ollama' });

    // Round robin would send every other call to the stopped instance, each paying a refused
    // connection and a failover; the balancer skips it instead.
    const before = fakeB.requests.length;
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    expect(fakeB.requests.length - before).toBeGreaterThanOrEqual(6);
    expect(await metric('fennec_upstream_requests_total', idA)).toBeUndefined();
    expect(await metric('fennec_upstream_errors_total', idA)).toBeUndefined();
  });

  it('should report it up again after a probe cycle once it is back, and send it calls again', async () => {
    forwarderA = await forward(portA, fakeA.url);

    const pool = await waitForInstance(idA, (i) => i.up);
    expect(instanceOf(pool, idA)).toMatchObject({ up: true, probe: 'healthy' });
    expect(instanceOf(pool, idA).probeDetail).toBeUndefined();
    expect(pool).toMatchObject({ up: 2, total: 2 });
    const upstreams = await http().get('/services/upstreams').set('authorization', ADMIN);
    expect(upstreams.body.health.status).toBe('UP');

    const before = chatsOn(fakeA);
    for (let i = 0; i < 4; i++) expect((await chat()).status).toBe(200);
    expect(chatsOn(fakeA) - before).toBeGreaterThan(0);
  });

  it('should show the pool with no instance up (DOWN) while every instance is stopped', async () => {
    await forwarderA?.close();
    forwarderA = undefined;
    await fakeB.close();

    await waitForInstance(idA, (i) => i.probe === 'unhealthy');
    const pool = await waitForInstance(idB, (i) => i.probe === 'unhealthy');
    expect(pool.instances.map((i) => i.up)).toEqual([false, false]);
    const upstreams = await http().get('/services/upstreams').set('authorization', ADMIN);
    expect(upstreams.body.health).toMatchObject({ status: 'DOWN', reason: 'no instance up in: ollama' });
    expect(upstreams.body.health.details.ollama.probes).toEqual({ [idA]: 'unhealthy', [idB]: 'unhealthy' });
  });
});
