import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import request from 'supertest';
import { HealthAlertsService } from '../src/platform/health/alerts/health-alerts.service';
import { ServiceHealthChecker } from '../src/platform/health/checks/service-health-checker.service';
import { HealthFixturesModule, healthFixture } from './fixtures/health/health-fixtures';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

jest.setTimeout(30_000);

const ADMIN = bearer(TEST_AUTH.admin);
const VIEWER = bearer(TEST_AUTH.viewer);

/** Keeps every log line as written, so duplicate keys (which JSON.parse would hide) stay visible. */
class RawLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

/**
 * Automation rules on their real timer: each rule acts on its own, so a webhook that does not
 * answer holds back only its own `notify` rule, never a restart due from another rule.
 */
describe('Health automation on its timer (e2e)', () => {
  let app: NestExpressApplication;
  let webhook: Server;
  /** Webhook requests not answered yet (held until the test releases them). */
  const held: ServerResponse[] = [];
  let holding = true;
  let received = 0;
  const logs = new RawLines();

  beforeAll(async () => {
    webhook = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        received++;
        if (holding) held.push(res);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    app = await createTestApp({
      extra: { imports: [HealthFixturesModule] },
      logStream: logs,
      env: {
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        HEALTH_AUTOMATION_INTERVAL_MS: '200',
        HEALTH_MONITOR_INTERVAL_MS: '600000',
        HEALTH_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts`,
        HEALTH_ALERT_WEBHOOK_TIMEOUT_MS: '60000',
        HEALTH_ALERT_WEBHOOK_RETRIES: '0',
      },
    });
  });

  afterAll(async () => {
    holding = false;
    for (const res of held.splice(0)) res.writeHead(204).end();
    await app.close();
    webhook.closeAllConnections();
    await new Promise((r) => webhook.close(r));
  });

  const http = () => request(app.getHttpServer());
  const putRule = (name: string, rule: object) =>
    http().put(`/health/automation/rules/${name}`).set('authorization', ADMIN).send(rule);
  const alerts = async () =>
    (await http().get('/health/alerts').set('authorization', VIEWER)).body as {
      active: { rule?: string; source: string; firings: number; actions: { action: string; ok: boolean }[] }[];
      recent: { rule?: string; source: string; firings: number }[];
    };

  it('should restart through one rule while another rule is waiting on a webhook that does not answer', async () => {
    // hx-slow's check always times out: DOWN. Its rule pages, and the webhook never answers.
    expect(
      (
        await putRule('page-slow', {
          service: 'hx-slow',
          when: { metric: 'status', op: 'eq', value: 'DOWN' },
          forMs: 0,
          level: 'WARNING',
          action: 'notify',
          cooldownMs: 0,
        })
      ).status,
    ).toBe(200);
    await eventually(() => held.length === 1, { what: 'the webhook holds the page', timeoutMs: 10_000 });

    healthFixture.base = { status: 'DOWN', reason: 'wedged' };
    app.get(ServiceHealthChecker).invalidate('hx-base');
    const restartsBefore = healthFixture.restarts;
    expect(
      (
        await putRule('heal-base', {
          service: 'hx-base',
          when: { metric: 'status', op: 'eq', value: 'DOWN' },
          forMs: 500,
          level: 'ERROR',
          action: 'restart',
          cooldownMs: 600_000,
        })
      ).status,
    ).toBe(200);

    await eventually(() => healthFixture.restarts > restartsBefore, {
      what: 'the restart rule acted',
      timeoutMs: 10_000,
    });
    // The page is still waiting, and its rule did not page again meanwhile.
    expect(held).toHaveLength(1);
    expect(received).toBe(1);
    const heal = (await alerts()).active.find((a) => a.rule === 'heal-base')!;
    expect(heal.actions).toEqual([expect.objectContaining({ action: 'restart', ok: true })]);

    holding = false;
    held.splice(0).forEach((res) => res.writeHead(204).end());
    await eventually(
      async () =>
        (await alerts()).active.find((a) => a.rule === 'page-slow')?.actions.some((r) => r.action === 'notify' && r.ok),
      { what: 'the page delivered' },
    );
  });

  it('should count only automation rule firings as ruleFirings, trend firings apart', async () => {
    for (const name of ['page-slow', 'heal-base'])
      expect((await http().delete(`/health/automation/rules/${name}`).set('authorization', ADMIN)).status).toBe(204);
    const before = (await http().get('/health/metrics').set('authorization', VIEWER)).body;
    const ruleFirings = (await alerts()).recent.filter((a) => a.source === 'rule').reduce((n, a) => n + a.firings, 0);
    expect(before.ruleFirings).toBe(ruleFirings);
    // A predictive alert, fired where the monitor fires its trend alerts.
    app.get(HealthAlertsService).log.fire({
      key: 'trend:hx-base',
      source: 'trend',
      service: 'hx-base',
      level: 'WARNING',
      message: 'hx-base: latency predicted over 1000 ms',
    });
    const after = (await http().get('/health/metrics').set('authorization', VIEWER)).body;
    expect(after.ruleFirings).toBe(before.ruleFirings);
    expect(after.trendFirings).toBe(before.trendFirings + 1);
  });

  it("should log an alert's level as `severity`, leaving the one `level` key to the logger", () => {
    const line = logs.lines.find((l) => l.includes('"msg":"alert WARNING'));
    expect(line).toBeDefined();
    expect(line!.match(/"level":/g)).toHaveLength(1);
    expect(JSON.parse(line!)).toMatchObject({ level: 'warn', severity: 'WARNING', service: 'hx-slow' });
  });
});
