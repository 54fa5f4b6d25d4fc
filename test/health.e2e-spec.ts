import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AutomationService } from '../src/platform/health/automation/automation.service';
import { ServiceHealthChecker } from '../src/platform/health/checks/service-health-checker.service';
import { ServiceRegistry } from '../src/platform/registry';
import { HealthFixturesModule, healthFixture } from './fixtures/health/health-fixtures';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

describe('Health (e2e)', () => {
  let app: NestExpressApplication;
  let dataDir: string;
  let webhook: Server;
  const delivered: { alert: { rule: string; service: string; level: string } }[] = [];
  let webhookFailures = 1;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-health-'));
    // A real loopback receiver for `notify`: the first POST fails (503), so the retry is exercised.
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (webhookFailures-- > 0) return void res.writeHead(503).end();
        delivered.push(JSON.parse(body) as (typeof delivered)[number]);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    app = await createTestApp({
      extra: { imports: [HealthFixturesModule] },
      env: {
        DATA_DIR: dataDir,
        HEALTH_MONITOR_INTERVAL_MS: '600000',
        HEALTH_AUTOMATION_INTERVAL_MS: '600000',
        HEALTH_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`,
      },
    });
    // Booting the whole app takes longer than jest's default 5 s on a loaded CI machine.
  }, 30_000);

  afterAll(async () => {
    await app?.close();
    webhook.closeAllConnections();
    await new Promise((r) => webhook.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    healthFixture.base = { status: 'UP' };
    healthFixture.baseDelayMs = 0;
    const registry = app.get(ServiceRegistry);
    for (const s of registry.list()) {
      registry.clearOutOfService(s.name);
      app.get(ServiceHealthChecker).invalidate(s.name);
    }
  });

  const http = () => request(app.getHttpServer());
  const as = (role: 'admin' | 'operator' | 'viewer') => ({ authorization: bearer(TEST_AUTH[role]) });

  it('should answer the tree with statuses only to anonymous callers, no-cache', async () => {
    const res = await http().get('/health');
    expect(res.headers['cache-control']).toContain('no-cache');
    expect(res.body.services['hx-base']).toEqual({ status: 'UP', ownStatus: 'UP', critical: true, state: 'RUNNING' });
    expect(res.body.indicators).toMatchObject({
      eventLoop: { status: 'UP' },
      memory: { status: 'UP' },
      disk: { status: 'UP' },
    });
    expect(res.body.indicators.disk.details).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toContain('probe');
  });

  it('should keep the probes in Terminus shape, with indicator data for authorized callers only', async () => {
    const anon = await http().get('/health/live');
    expect(anon.status).toBe(200);
    expect(anon.headers['cache-control']).toContain('no-cache');
    expect(anon.body).toEqual({
      status: 'ok',
      info: { eventLoop: { status: 'up' } },
      error: {},
      details: { eventLoop: { status: 'up' } },
    });
    const authed = await http().get('/health/live').set(as('viewer'));
    expect(authed.body.details.eventLoop).toMatchObject({ status: 'up', stallLimitMs: 30_000 });
    const ready = await http().get('/health/ready');
    expect(ready.body.details).toEqual({
      lifecycle: { status: 'up' },
      criticalServices: { status: 'up' },
      eventLoopLag: { status: 'up' },
      heap: { status: 'up' },
    });
    expect((await http().get('/health/startup')).status).toBe(200);
  });

  it('should show details and reasons to a caller with a role', async () => {
    const res = await http().get('/health').set(as('viewer'));
    expect(res.body.services['hx-base'].details).toEqual({ probe: 'base' });
    expect(res.body.services['hx-slow']).toMatchObject({ status: 'DOWN', reason: 'timeout' });
    expect(res.body.indicators.disk.details).toMatchObject({ service: 'data-dir', freeBytes: expect.any(Number) });
  });

  it('should apply dependency rules and answer 503 when a critical service is DOWN', async () => {
    healthFixture.base = { status: 'DOWN', reason: 'disk on fire' };
    const res = await http().get('/health').set(as('viewer'));
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('DOWN');
    expect(res.body.services['hx-base']).toMatchObject({ status: 'DOWN', reason: 'disk on fire' });
    expect(res.body.services['hx-dependent']).toMatchObject({
      status: 'DOWN',
      ownStatus: 'UP',
      reason: 'dependency hx-base is DOWN',
    });
    expect(res.body.services['hx-optional-user']).toMatchObject({ status: 'DEGRADED', ownStatus: 'UP' });
    // Readiness looks at lifecycle states, not check results: the instance still takes traffic.
    expect((await http().get('/health/ready')).status).toBe(200);
  });

  it('should answer one service, 503 when DOWN, and a 404 problem for an unknown name', async () => {
    expect((await http().get('/health/services/hx-optional-user')).status).toBe(200);
    expect((await http().get('/health/services/hx-slow')).status).toBe(503);
    const missing = await http().get('/health/services/no-such-thing');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
    expect(missing.body.code).toBe('REGISTRY.SERVICE_NOT_FOUND');
  });

  it('should cache checks for the TTL and share one in-flight check among concurrent callers', async () => {
    healthFixture.baseDelayMs = 100;
    const before = healthFixture.baseChecks;
    const answers = await Promise.all(Array.from({ length: 20 }, () => http().get('/health/services/hx-base')));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(healthFixture.baseChecks - before).toBe(1);
    await http().get('/health');
    expect(healthFixture.baseChecks - before).toBe(1);
  });

  it('should let an admin take a service OUT_OF_SERVICE (its routes answer 503) and back', async () => {
    expect((await http().get('/hx/ping').set(as('viewer'))).status).toBe(200);
    expect((await http().put('/health/services/hx-dependent/maintenance').set(as('operator'))).status).toBe(403);
    const put = await http()
      .put('/health/services/hx-dependent/maintenance')
      .set(as('admin'))
      .send({ reason: 'upgrade' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ status: 'OUT_OF_SERVICE', maintenance: { reason: 'upgrade' } });
    const route = await http().get('/hx/ping').set(as('viewer'));
    expect(route.status).toBe(503);
    expect(route.headers['retry-after']).toBeDefined();
    const one = await http().get('/health/services/hx-dependent');
    expect(one.status).toBe(503);
    expect(one.body.status).toBe('OUT_OF_SERVICE');
    // Not critical: the whole only degrades.
    expect((await http().get('/health')).body.status).not.toBe('OUT_OF_SERVICE');
    const del = await http().delete('/health/services/hx-dependent/maintenance').set(as('admin'));
    expect(del.body.status).toBe('UP');
    expect((await http().get('/hx/ping').set(as('viewer'))).status).toBe(200);
  });

  it('should serve metrics, predictions and alerts to authenticated callers only', async () => {
    expect((await http().get('/health/metrics')).status).toBe(401);
    const metrics = await http().get('/health/metrics').set(as('viewer'));
    expect(metrics.status).toBe(200);
    const base = (metrics.body.services as { service: string }[]).find((s) => s.service === 'hx-base');
    expect(base).toMatchObject({
      checks: expect.any(Number),
      failures: expect.any(Number),
      latencyMs: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) },
      availability: { last5m: expect.any(Number), last1h: expect.any(Number) },
    });
    const predictive = await http().get('/health/predictive').set(as('viewer'));
    expect(predictive.body).toMatchObject({ method: 'least-squares', services: expect.any(Array) });
    expect((await http().get('/health/alerts').set(as('viewer'))).body).toMatchObject({ active: expect.any(Array) });
  });

  it('should run automation rules set at runtime: isolate and restart act for real, and are listed as alerts', async () => {
    const rule = {
      service: 'hx-base',
      when: { metric: 'status', op: 'eq', value: 'DOWN' },
      forMs: 0,
      level: 'ERROR',
      action: 'restart',
      cooldownMs: 60_000,
      escalate: { afterFirings: 1, level: 'CRITICAL', action: 'isolate' },
    };
    expect((await http().put('/health/automation/rules/heal-base').set(as('operator')).send(rule)).status).toBe(403);
    const bad = await http()
      .put('/health/automation/rules/heal-base')
      .set(as('admin'))
      .send({ ...rule, level: 'LOUD' });
    expect(bad.status).toBe(400);
    const unknown = await http()
      .put('/health/automation/rules/heal-base')
      .set(as('admin'))
      .send({ ...rule, service: 'nope' });
    expect(unknown.status).toBe(404);
    expect((await http().put('/health/automation/rules/heal-base').set(as('admin')).send(rule)).status).toBe(200);
    expect((await http().get('/health/automation/rules').set(as('operator'))).body.rules).toHaveLength(1);

    healthFixture.base = { status: 'DOWN', reason: 'wedged' };
    const restartsBefore = healthFixture.restarts;
    await app.get(AutomationService).evaluateNow();
    expect(healthFixture.restarts).toBe(restartsBefore + 1);
    let alerts = (await http().get('/health/alerts').set(as('viewer'))).body;
    const fired = alerts.active.find((a: { rule?: string }) => a.rule === 'heal-base');
    expect(fired).toMatchObject({ level: 'ERROR', service: 'hx-base', actions: [{ action: 'restart', ok: true }] });

    // Cooldown: a second round right away does nothing more.
    app.get(ServiceHealthChecker).invalidate('hx-base');
    await app.get(AutomationService).evaluateNow();
    expect(healthFixture.restarts).toBe(restartsBefore + 1);

    const del = await http().delete('/health/automation/rules/heal-base').set(as('admin'));
    expect(del.status).toBe(204);
    alerts = (await http().get('/health/alerts').set(as('viewer'))).body;
    expect(alerts.active.find((a: { rule?: string }) => a.rule === 'heal-base')).toBeUndefined();
    expect(alerts.recent.find((a: { rule?: string }) => a.rule === 'heal-base').clearedAt).toEqual(expect.any(String));
    expect((await http().delete('/health/automation/rules/heal-base').set(as('admin'))).status).toBe(404);
  });

  it('should isolate a service through a rule', async () => {
    await http()
      .put('/health/automation/rules/isolate-base')
      .set(as('admin'))
      .send({
        service: '*',
        when: { metric: 'status', op: 'eq', value: 'DOWN' },
        forMs: 0,
        level: 'WARNING',
        action: 'isolate',
        cooldownMs: 0,
      });
    healthFixture.base = { status: 'DOWN', reason: 'wedged' };
    await app.get(AutomationService).evaluateNow();
    expect(app.get(ServiceRegistry).outOfService('hx-base')?.reason).toBe('isolated by rule isolate-base');
    expect(app.get(ServiceRegistry).isAvailable('hx-base')).toBe(false);
    await http().delete('/health/automation/rules/isolate-base').set(as('admin'));
  });

  it('should notify: POST the alert as JSON to the webhook, retrying a failed delivery', async () => {
    await http()
      .put('/health/automation/rules/page-on-slow')
      .set(as('admin'))
      .send({
        service: 'hx-slow',
        when: { metric: 'status', op: 'eq', value: 'DOWN' },
        forMs: 0,
        level: 'CRITICAL',
        action: 'notify',
        cooldownMs: 60_000,
      });
    await app.get(AutomationService).evaluateNow();
    expect(delivered).toEqual([
      expect.objectContaining({
        alert: expect.objectContaining({ rule: 'page-on-slow', service: 'hx-slow', level: 'CRITICAL' }),
      }),
    ]);
    const alerts = (await http().get('/health/alerts').set(as('viewer'))).body;
    const fired = alerts.active.find((a: { rule?: string }) => a.rule === 'page-on-slow');
    expect(fired.actions).toEqual([
      expect.objectContaining({ action: 'notify', ok: true, detail: 'delivered (attempt 2)' }),
    ]);
    await http().delete('/health/automation/rules/page-on-slow').set(as('admin'));
  });
});
