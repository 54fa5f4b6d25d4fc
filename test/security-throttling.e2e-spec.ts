import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { CallerProbeController } from './fixtures/security/caller-probe.controller';
import { ThrottleProbeController } from './fixtures/security/throttle-probe.controller';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_KEYS } from './support/test-credentials';

describe('Rate limiting (e2e)', () => {
  let app: NestExpressApplication;
  const get = (path: string, ip: string) => request(app.getHttpServer()).get(path).set('x-forwarded-for', ip);

  beforeAll(async () => {
    app = await createTestApp({
      extra: { controllers: [ThrottleProbeController, CallerProbeController] },
      env: {
        TRUST_PROXY_HOPS: '1',
        THROTTLE_BURST_LIMIT: '5',
        THROTTLE_BURST_TTL_MS: '60000',
        THROTTLE_SUSTAINED_LIMIT: '1000',
        // Process pressure is unit-tested with fake time; here only trust may adapt the limits.
        THROTTLE_ADAPTIVE: 'true',
        THROTTLE_LAG_THRESHOLD_MS: '100000',
        THROTTLE_INFLIGHT_THRESHOLD: '100000',
      },
    });
  });
  afterAll(() => app.close());

  it('should allow the limit, then answer 429 RATE_LIMIT.EXCEEDED with Retry-After and rate-limit headers', async () => {
    const statuses: number[] = [];
    let last!: request.Response;
    for (let i = 0; i < 6; i++) {
      last = await get('/throttle-probe/open', '10.0.0.1');
      statuses.push(last.status);
      if (i === 1) {
        expect(last.headers['x-ratelimit-limit-burst']).toBe('5');
        expect(last.headers['x-ratelimit-remaining-burst']).toBe('3');
        expect(last.headers['x-ratelimit-limit-sustained']).toBe('1000');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(last.body).toMatchObject({ status: 429, code: 'RATE_LIMIT.EXCEEDED' });
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.body.retryAfter).toBe(Number(last.headers['retry-after']));
  });

  it('should not give a fresh quota for spoofed X-Forwarded-For entries left of the trusted hop', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get('/throttle-probe/open', `6.6.6.${i}, 10.0.0.2`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await get('/throttle-probe/open', '10.0.0.3')).status).toBe(200);
  });

  it('should track authenticated callers by key, not by IP', async () => {
    const acme = TEST_KEYS.acme.viewer;
    const globex = TEST_KEYS.globex.viewer;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await get('/throttle-probe/open', `10.1.0.${i}`).set('authorization', bearer(acme))).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await get('/throttle-probe/open', '10.1.0.1').set('authorization', bearer(globex))).status).toBe(200);
  });

  it('should honour per-route overrides and skips', async () => {
    const tight = [];
    for (let i = 0; i < 3; i++) tight.push((await get('/throttle-probe/tight', '10.0.0.4')).status);
    expect(tight).toEqual([200, 200, 429]);
    for (let i = 0; i < 12; i++) {
      const res = await get('/throttle-probe/free', '10.0.0.4');
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit-burst']).toBeUndefined();
    }
  });

  it('should tighten the limit for a client whose trust dropped after auth failures', async () => {
    // Two bad keys: penalty 1, trust 0.5, effective burst limit floor(5 × 0.5) = 2, already used.
    for (let i = 0; i < 2; i++) {
      expect((await get('/caller-probe', '10.0.0.66').set('x-api-key', 'fk_guess')).status).toBe(401);
    }
    await new Promise((r) => setTimeout(r, 50));
    const suspect = await get('/caller-probe', '10.0.0.66');
    expect(suspect.status).toBe(429);
    expect(suspect.headers['x-ratelimit-limit-burst']).toBeUndefined();
    // A clean client with the same history of requests is still let through to authentication.
    for (let i = 0; i < 3; i++) expect((await get('/caller-probe', '10.0.0.67')).status).toBe(401);
  });
});

describe('Per-tenant rate limits (e2e)', () => {
  let app: NestExpressApplication;
  const get = (path: string, key?: string) => {
    const req = request(app.getHttpServer()).get(path);
    return key ? req.set('x-api-key', key) : req;
  };

  beforeAll(async () => {
    app = await createTestApp({
      extra: { controllers: [ThrottleProbeController, CallerProbeController] },
      env: {
        THROTTLE_TENANT_LIMIT: '4',
        THROTTLE_TENANT_LIMITS: 'globex:2',
        THROTTLE_LAG_THRESHOLD_MS: '100000',
        THROTTLE_INFLIGHT_THRESHOLD: '100000',
      },
    });
  });
  afterAll(() => app.close());

  it('should share one quota among all callers and routes of a tenant, with per-tenant overrides', async () => {
    const acme = [
      await get('/throttle-probe/open', TEST_KEYS.acme.viewer.key),
      await get('/caller-probe', TEST_KEYS.acme.operator.key),
      await get('/throttle-probe/tight', TEST_KEYS.acme.admin.key),
      await get('/caller-probe', TEST_KEYS.acme.viewer.key),
      await get('/throttle-probe/open', TEST_KEYS.acme.admin.key),
    ];
    expect(acme.map((r) => r.status)).toEqual([200, 200, 200, 200, 429]);
    expect(acme[0].headers['x-ratelimit-limit-tenant']).toBe('4');
    const globex = [];
    for (let i = 0; i < 3; i++) globex.push((await get('/caller-probe', TEST_KEYS.globex.viewer.key)).status);
    expect(globex).toEqual([200, 200, 429]);
  });

  it('should ignore X-Forwarded-For entirely when no proxy is trusted (TRUST_PROXY_HOPS=0)', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await get('/throttle-probe/tight').set('x-forwarded-for', `203.0.113.${i}`)).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('should not apply tenant limits to unauthenticated requests', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await get('/throttle-probe/open');
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit-tenant']).toBeUndefined();
    }
  });
});
