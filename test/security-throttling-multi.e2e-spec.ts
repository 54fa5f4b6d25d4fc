import Redis from 'ioredis';
import { type BuiltInstance, ensureBuilt, startBuiltInstance } from './support/built-app';
import { apiKeysJson, TEST_AUTH, TEST_KEYS } from './support/test-credentials';
import { eventually } from './support/eventually';

const REDIS_URL = 'redis://127.0.0.1:6379';
type Instance = BuiltInstance;
const LIMIT = 6;

describe('Rate limits shared by two processes through Redis (e2e, real processes)', () => {
  const prefix = `fennec-sec-test-${process.pid}-${Date.now()}:`;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    const dist = await ensureBuilt();
    const env = {
      REDIS_URL,
      STATE_KEY_PREFIX: prefix,
      FENNEC_API_KEYS: apiKeysJson(),
      LOG_LEVEL: 'warn',
      THROTTLE_BURST_LIMIT: '1000',
      THROTTLE_SUSTAINED_LIMIT: String(LIMIT),
      THROTTLE_SUSTAINED_TTL_MS: '60000',
      // Boot makes the event loop lag; only the shared counting is under test here.
      THROTTLE_ADAPTIVE: 'false',
    };
    [a, b] = await Promise.all([startBuiltInstance(dist, env), startBuiltInstance(dist, env)]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const call = (app: Instance) =>
    fetch(`${app.baseUrl}/security/events?limit=1`, { headers: { authorization: `Bearer ${TEST_AUTH.admin.key}` } });

  it(`should enforce ${LIMIT} per window across both instances: request ${LIMIT + 1} answers 429 on either`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await call(i % 2 === 0 ? a : b)).status);
    expect(statuses).toEqual(Array(LIMIT).fill(200));
    const overA = await call(a);
    const overB = await call(b);
    expect([overA.status, overB.status]).toEqual([429, 429]);
    expect(Number(overB.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await overB.json()) as { code: string }).code).toBe('RATE_LIMIT.EXCEEDED');
  });

  it('should share security events between the instances', async () => {
    const denied = await fetch(`${b.baseUrl}/security/events?limit=50`, {
      headers: { authorization: `Bearer ${TEST_AUTH.operator.key}`, 'x-request-id': `multi-${process.pid}` },
    });
    expect(denied.status).toBe(403);
    // Read on the other instance, with a key that has its own quota (LIMIT reads at most).
    type Event = { type: string; requestId: string; client: string };
    const items = await eventually(
      async () => {
        const res = await fetch(`${a.baseUrl}/security/events?limit=50`, {
          headers: { authorization: `Bearer ${TEST_KEYS.globex.admin.key}` },
        });
        expect(res.status).toBe(200);
        const { items } = (await res.json()) as { items: Event[] };
        return items.some((e) => e.requestId === `multi-${process.pid}`) && items;
      },
      { firstDelayMs: 50, maxDelayMs: 1_000, maxChecks: LIMIT, what: 'the event written on the other instance' },
    );
    expect(items.find((e) => e.requestId === `multi-${process.pid}`)).toMatchObject({
      type: 'auth.forbidden',
      client: 'key:acme-operator',
    });
    expect(items.filter((e) => e.type === 'rate_limit.exceeded' && e.client === 'key:acme-admin')).toHaveLength(2);
  });
});
