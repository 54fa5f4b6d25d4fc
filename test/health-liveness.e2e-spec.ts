import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

jest.setTimeout(60_000);

const VIEWER = bearer(TEST_AUTH.viewer);

/** Keeps this (the app's own) event loop busy for `ms`, as a CPU-bound handler would. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/**
 * Liveness answers "is this process broken, would a restart help": only a wedged event loop fails
 * it. Lag (CPU contention, a busy pod) fails readiness and degrades the tree instead. The app runs
 * in this process, so blocking this loop is blocking the app's.
 */
describe('Liveness and readiness under load (e2e)', () => {
  let app: NestExpressApplication;
  const STALL_LIMIT_MS = 2000;
  const LAG_LIMIT_MS = 200;

  beforeAll(async () => {
    app = await createTestApp({
      env: {
        HEALTH_LIVENESS_STALL_MS: String(STALL_LIMIT_MS),
        HEALTH_EVENT_LOOP_LAG_MS: String(LAG_LIMIT_MS),
        HEALTH_MONITOR_INTERVAL_MS: '600000',
      },
    });
  });

  afterAll(async () => {
    await app.close();
  });

  const http = () => request(app.getHttpServer());

  it('should stay live while the event loop lags, and take the instance out of readiness instead', async () => {
    // Well over the lag limit, well under the stall limit: a saturated process, not a broken one.
    // Kept up until the lag monitor's window shows it (it rolls every 5 s).
    await eventually(
      async () => {
        // Half the time busy (not all of it: other suites share the CI machine's cores).
        block(2 * LAG_LIMIT_MS);
        await new Promise((r) => setTimeout(r, 2 * LAG_LIMIT_MS));
        return (await http().get('/health/ready')).status === 503;
      },
      { timeoutMs: 20_000, maxDelayMs: 1, what: 'readiness down for lag' },
    );
    const live = await http().get('/health/live').set('authorization', VIEWER);
    expect(live.status).toBe(200);
    expect(live.body.details.eventLoop).toMatchObject({ status: 'up', stallLimitMs: STALL_LIMIT_MS });
    expect(Object.keys(live.body.details)).toEqual(['eventLoop']);

    const ready = await http().get('/health/ready').set('authorization', VIEWER);
    expect(ready.status).toBe(503);
    expect(ready.body.error.eventLoopLag).toMatchObject({ status: 'down', limitMs: LAG_LIMIT_MS });
    expect(ready.body.error.eventLoopLag.p99Ms).toBeGreaterThan(LAG_LIMIT_MS);

    const tree = await http().get('/health').set('authorization', VIEWER);
    expect(tree.body.indicators.eventLoop).toMatchObject({ status: 'DEGRADED' });
    expect(tree.body.status).not.toBe('DOWN');
    expect(tree.status).toBe(200);

    // Once the lag is out of the monitor's window, readiness is back by itself.
    await eventually(async () => (await http().get('/health/ready')).status === 200, {
      timeoutMs: 20_000,
      what: 'readiness back after the lag',
    });
  });

  it('should fail liveness for a loop that did not turn for the stall limit, and recover once it turns again', async () => {
    block(STALL_LIMIT_MS + 600);
    // This probe is served after the wedge: it reads the stall the watchdog saw.
    const live = await http().get('/health/live').set('authorization', VIEWER);
    expect(live.status).toBe(503);
    expect(live.body.error.eventLoop).toMatchObject({ status: 'down', stallLimitMs: STALL_LIMIT_MS });
    expect(live.body.error.eventLoop.recentStallMs).toBeGreaterThanOrEqual(STALL_LIMIT_MS);
    const tree = await http().get('/health').set('authorization', VIEWER);
    expect(tree.body.indicators.eventLoop.status).toBe('DOWN');

    await eventually(async () => (await http().get('/health/live')).status === 200, {
      timeoutMs: 10_000,
      what: 'liveness back after the wedge',
    });
  });
});
