import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { UpstreamPools } from '../src/platform/upstream/upstream-pools.service';
import { FakeOllama } from './fixtures/fake-ollama';
import { LoopbackUpstream } from './fixtures/loopback-upstream';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

describe('GET /upstreams and the upstreams managed service (e2e)', () => {
  let app: NestExpressApplication;
  let servers: LoopbackUpstream[];
  let ollama: FakeOllama;

  beforeAll(async () => {
    servers = await Promise.all(['a', 'b'].map((n) => LoopbackUpstream.start(n)));
    // The LLM gateway's `ollama` pool is actively probed: without a reachable Ollama it is DOWN.
    ollama = await FakeOllama.start();
    app = await createTestApp({ env: { OLLAMA_URLS: ollama.url } });
    const pool = app.get(UpstreamPools).create('probe-pool', {
      instances: servers.map((s) => ({ url: s.url, id: `probe-${s.name}`, weight: 2 })),
      strategy: 'weighted-round-robin',
    });
    const res = await pool.request({ path: '/hello' });
    await res.text();
  });
  afterAll(async () => {
    await app.close();
    await Promise.all(servers.map((s) => s.kill()));
    await ollama.close();
  });

  const http = () => request(app.getHttpServer());

  it('should show pools, instances and breaker states to operators', async () => {
    const res = await http().get('/upstreams').set('authorization', bearer(TEST_AUTH.operator));
    expect(res.status).toBe(200);
    const pools = res.body.pools as { name: string; up: number; instances: unknown[] }[];
    const pool = pools.find((p) => p.name === 'probe-pool');
    expect(pool).toMatchObject({ name: 'probe-pool', strategy: 'weighted-round-robin', up: 2, total: 2 });
    expect(pool?.instances[0]).toMatchObject({
      id: 'probe-a',
      url: servers[0].url,
      weight: 2,
      up: true,
      breaker: 'closed',
      ejected: false,
      outstanding: 0,
      probe: 'unknown',
    });
    expect(pool?.instances[0]).not.toHaveProperty('probedAt');
    expect(pools.find((p) => p.name === 'ollama')).toMatchObject({ up: 1, total: 1, panic: false });
  });

  it('should refuse viewers and anonymous callers', async () => {
    expect((await http().get('/upstreams').set('authorization', bearer(TEST_AUTH.viewer))).status).toBe(403);
    expect((await http().get('/upstreams')).status).toBe(401);
  });

  it('should report instances up/total and breakers as the upstreams service health, DEGRADED when one is down', async () => {
    const pools = app.get(UpstreamPools);
    expect(await pools.checkHealth()).toMatchObject({
      status: 'UP',
      details: { 'probe-pool': { up: 2, total: 2, breakers: { 'probe-a': 'closed', 'probe-b': 'closed' } } },
    });
    const res = await http().get('/services/upstreams').set('authorization', bearer(TEST_AUTH.operator));
    expect(res.status).toBe(200);
    expect(res.body.health.status).toBe('UP');

    const dead = await LoopbackUpstream.start('dead');
    await dead.kill();
    const temp = pools.create('flaky', {
      instances: [
        { url: dead.url, id: 'gone' },
        { url: servers[0].url, id: 'ok' },
      ],
      outlier: { consecutiveFailures: 1 },
    });
    await temp.request({ path: '/hello', method: 'POST', body: {} }).then((r) => r.text());
    await temp.request({ path: '/hello', method: 'POST', body: {} }).then((r) => r.text());
    const health = await pools.checkHealth();
    expect(health.status).toBe('DEGRADED');
    expect(health.reason).toContain('flaky');
    await pools.remove('flaky');
  });

  it('should expose per-instance upstream metrics', async () => {
    const res = await http().get('/metrics').set('authorization', bearer(TEST_AUTH.operator));
    expect(res.text).toMatch(/fennec_upstream_requests_total\{pool="probe-pool",instance="probe-a"\} 1/);
    expect(res.text).toMatch(
      /fennec_upstream_request_duration_seconds_count\{pool="probe-pool",instance="probe-a"\} 1/,
    );
    expect(res.text).toMatch(/fennec_upstream_breaker_state\{pool="probe-pool",instance="probe-b"\} 0/);
  });
});
