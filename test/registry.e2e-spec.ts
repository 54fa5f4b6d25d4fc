import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ServiceRegistry, type ServiceStateChange } from '../src/platform/registry';
import { fixtureState, RegistryFixturesModule } from './fixtures/registry/registry-fixtures';
import { createTestApp } from './support/create-test-app';
import { LogCapture } from './support/log-capture';
import { bearer, TEST_AUTH } from './support/test-credentials';

const PROBLEM = /^application\/problem\+json/;
// Nest's static Logger writes through the last app's logger: every app in this file logs to one stream.
const logs = new LogCapture();

describe('Service registry (e2e)', () => {
  let app: NestExpressApplication;
  let dataDir: string;
  const changes: ServiceStateChange[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-registry-'));
    fixtureState.flakyFails = true;
    app = await createTestApp({
      extra: { imports: [RegistryFixturesModule.forRoot()] },
      env: { LOG_LEVEL: 'info', DATA_DIR: join(dataDir, 'nested', 'data') },
      logStream: logs,
    });
    app.get(ServiceRegistry).changes$.subscribe((c) => changes.push(c));
  });

  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (path: string, role: 'admin' | 'operator' | 'viewer' = 'operator') =>
    request(app.getHttpServer()).get(path).set('authorization', bearer(TEST_AUTH[role]));
  const post = (path: string, role: 'admin' | 'operator' | 'viewer' = 'admin') =>
    request(app.getHttpServer()).post(path).set('authorization', bearer(TEST_AUTH[role]));

  it('should start services before the app reports ready', async () => {
    expect(fixtureState.phaseSeenAtStart).toBe('starting');
    const res = await get('/health/ready');
    expect(res.status).toBe(200);
  });

  it('should list every discovered service with its state and an overall DEGRADED status', async () => {
    const res = await get('/services');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('DEGRADED');
    const byName = Object.fromEntries((res.body.services as { name: string; state: string }[]).map((s) => [s.name, s]));
    expect(byName['data-dir']).toMatchObject({
      state: 'RUNNING',
      critical: true,
      dependents: expect.arrayContaining(['fixture-api']),
    });
    expect(byName['fixture-store']).toMatchObject({ state: 'RUNNING', startDurationMs: expect.any(Number) });
    expect(byName['fixture-api']).toMatchObject({
      state: 'RUNNING',
      dependsOn: [
        { name: 'fixture-store', optional: false, registered: true },
        { name: 'data-dir', optional: false, registered: true },
      ],
    });
    expect(byName['fixture-flaky']).toMatchObject({
      state: 'FAILED',
      critical: false,
      reason: 'upstream refused the connection',
      lastError: { phase: 'start', message: 'upstream refused the connection', at: expect.any(String) },
    });
    expect(byName['fixture-report']).toMatchObject({
      state: 'DEGRADED',
      reason: "optional 'fixture-flaky' not running",
    });
  });

  it('should create DATA_DIR and report its free space', async () => {
    const res = await get('/services/data-dir');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'data-dir', state: 'RUNNING', health: { status: 'UP' } });
    expect(res.body.health.details.path).toBe(join(dataDir, 'nested', 'data'));
    expect(res.body.health.details.freeBytes).toBeGreaterThan(0);
  });

  it('should answer an unknown service with a 404 problem', async () => {
    const res = await get('/services/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ code: 'REGISTRY.SERVICE_NOT_FOUND', status: 404 });
    const restart = await post('/services/no-such-thing/restart');
    expect(restart.status).toBe(404);
    expect(restart.body.code).toBe('REGISTRY.SERVICE_NOT_FOUND');
  });

  it('should serve the graph as JSON and as Mermaid', async () => {
    const json = await get('/services/graph');
    expect(json.status).toBe(200);
    expect(json.body.nodes).toContainEqual({ name: 'fixture-flaky', state: 'FAILED', critical: false });
    expect(json.body.edges).toEqual(
      expect.arrayContaining([
        { from: 'fixture-api', to: 'data-dir', optional: false },
        { from: 'fixture-report', to: 'fixture-flaky', optional: true },
      ]),
    );
    const mermaid = await get('/services/graph?format=mermaid');
    expect(mermaid.status).toBe(200);
    expect(mermaid.headers['content-type']).toMatch(/^text\/plain/);
    expect(mermaid.text).toMatch(/^flowchart TD\n/);
    expect(mermaid.text).toContain('["fixture-flaky<br/>FAILED"]');
    expect(mermaid.text).toMatch(/s\d+ -\.-> s\d+/);
    const bad = await get('/services/graph?format=svg');
    expect(bad.status).toBe(400);
  });

  it('should answer 503 on routes of a service that is not running, and serve the others', async () => {
    const res = await get('/fixture/flaky');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toMatchObject({ code: 'REGISTRY.SERVICE_UNAVAILABLE', retryAfter: 5 });
    expect((await get('/fixture/mixed/api')).status).toBe(200);
    expect((await get('/fixture/mixed/free')).status).toBe(200);
  });

  it('should check credentials and roles before service availability', async () => {
    expect((await request(app.getHttpServer()).get('/fixture/flaky')).status).toBe(401);
    expect((await get('/services', 'viewer')).status).toBe(403);
    expect((await post('/services/fixture-store/restart', 'operator')).status).toBe(403);
  });

  it('should restart a service and its dependents over HTTP, stopping in reverse and starting forward', async () => {
    changes.length = 0;
    const res = await post('/services/fixture-store/restart');
    expect(res.status).toBe(200);
    expect(res.body.restarted).toEqual(['fixture-store', 'fixture-api', 'fixture-report']);
    expect(res.body.services.map((s: { state: string }) => s.state)).toEqual(['RUNNING', 'RUNNING', 'DEGRADED']);
    const seq = changes.map((c) => `${c.service}:${c.to}`);
    expect(seq.indexOf('fixture-api:STOPPED')).toBeLessThan(seq.indexOf('fixture-store:STOPPING'));
    expect(seq.indexOf('fixture-report:STOPPED')).toBeLessThan(seq.indexOf('fixture-store:STOPPING'));
    expect(seq.indexOf('fixture-store:RUNNING')).toBeLessThan(seq.indexOf('fixture-api:STARTING'));
    expect(seq).not.toContain('data-dir:STOPPING');
  });

  it('should stop a service and its dependents over HTTP, answer 503 on their routes, and start them again', async () => {
    changes.length = 0;
    const stopped = await post('/services/fixture-store/stop');
    expect(stopped.status).toBe(200);
    expect(stopped.body.stopped).toEqual(expect.arrayContaining(['fixture-store', 'fixture-api', 'fixture-report']));
    expect(stopped.body.stopped).toHaveLength(3);
    expect(stopped.body.stopped.indexOf('fixture-store')).toBe(2);
    expect(stopped.body.services.map((s: { name: string; state: string }) => `${s.name}:${s.state}`)).toEqual([
      'fixture-store:STOPPED',
      'fixture-api:STOPPED',
      'fixture-report:STOPPED',
    ]);
    const closed = await get('/fixture/mixed/api');
    expect(closed.status).toBe(503);
    expect(closed.headers['retry-after']).toBe('5');
    expect((await get('/services/data-dir')).body.state).toBe('RUNNING');
    expect((await post('/services/fixture-store/stop')).body.stopped).toEqual([]);

    const started = await post('/services/fixture-store/start');
    expect(started.status).toBe(200);
    expect(started.body.started).toEqual(['fixture-store', 'fixture-api', 'fixture-report']);
    expect(started.body.services.map((s: { state: string }) => s.state)).toEqual(['RUNNING', 'RUNNING', 'DEGRADED']);
    expect((await get('/fixture/mixed/api')).status).toBe(200);
    expect((await post('/services/fixture-store/start')).body.started).toEqual([]);
    const seq = changes.map((c) => `${c.service}:${c.to}`);
    expect(seq.indexOf('fixture-api:STOPPED')).toBeLessThan(seq.indexOf('fixture-store:STOPPING'));
    expect(seq.indexOf('fixture-store:RUNNING')).toBeLessThan(seq.indexOf('fixture-api:STARTING'));
  });

  it('should refuse stop and start to non-admins and unknown names with problems', async () => {
    const forbidden = await post('/services/fixture-store/stop', 'operator');
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers['content-type']).toMatch(PROBLEM);
    expect((await post('/services/fixture-store/start', 'operator')).status).toBe(403);
    const unknown = await post('/services/no-such-thing/stop');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(PROBLEM);
    expect(unknown.body.code).toBe('REGISTRY.SERVICE_NOT_FOUND');
    expect((await post('/services/no-such-thing/start')).body.code).toBe('REGISTRY.SERVICE_NOT_FOUND');
    expect((await post(`/services/${'x'.repeat(101)}/start`)).status).toBe(400);
  });

  it('should answer a start that fails with a 503 problem naming the cause', async () => {
    expect((await post('/services/fixture-flaky/stop')).status).toBe(200);
    const res = await post('/services/fixture-flaky/start');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ code: 'REGISTRY.START_FAILED' });
    expect(res.body.detail).toContain('upstream refused the connection');
  });

  it('should bring a failed service back on restart and open its routes', async () => {
    fixtureState.flakyFails = false;
    const res = await post('/services/fixture-flaky/restart');
    expect(res.status).toBe(200);
    expect(res.body.restarted).toEqual(['fixture-flaky', 'fixture-report']);
    expect((await get('/fixture/flaky')).status).toBe(200);
    const services = (await get('/services')).body.services as { name: string; state: string }[];
    expect(services.filter((s) => s.name.startsWith('fixture-')).map((s) => s.state)).toEqual(Array(4).fill('RUNNING'));
  });

  it('should answer a restart that fails with a 503 problem naming the cause', async () => {
    fixtureState.flakyFails = true;
    const res = await post('/services/fixture-flaky/restart');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'REGISTRY.START_FAILED' });
    expect(res.body.detail).toContain('upstream refused the connection');
  });

  it('should show a state change in health at once, not after the cached check expires', async () => {
    fixtureState.flakyFails = false;
    expect((await post('/services/fixture-flaky/restart')).status).toBe(200);
    // Cached for the service's health TTL (5 s) from here on.
    expect((await get('/health/services/fixture-flaky')).body).toMatchObject({ status: 'UP', ownStatus: 'UP' });
    fixtureState.flakyFails = true;
    expect((await post('/services/fixture-flaky/restart')).status).toBe(503);
    expect((await get('/services/fixture-flaky')).body.state).toBe('FAILED');
    const one = await get('/health/services/fixture-flaky');
    expect(one.status).toBe(503);
    expect(one.body).toMatchObject({ status: 'DOWN', ownStatus: 'DOWN' });
    const tree = await get('/health');
    expect(tree.body.services['fixture-flaky']).toMatchObject({ status: 'DOWN', ownStatus: 'DOWN', state: 'FAILED' });
  });

  it('should export state counts and start durations as metrics', async () => {
    const services = (await get('/services')).body.services as { name: string; state: string }[];
    const failed = services.filter((s) => s.state === 'FAILED').map((s) => s.name);
    expect(failed).toContain('fixture-flaky');
    const res = await get('/metrics');
    expect(res.text).toMatch(/fennec_registry_services\{state="RUNNING"\} [1-9]/);
    // The count matches the registry's own view (unconfigured services, e.g. diffusion, fail too).
    expect(res.text).toContain(`fennec_registry_services{state="FAILED"} ${failed.length}`);
    expect(res.text).toMatch(/fennec_registry_service_start_duration_seconds_count\{service="data-dir"\} 1/);
  });

  it('should log every transition', () => {
    const lines = logs.lines.filter((l) => l.context === 'registry' && l.service === 'fixture-flaky');
    expect(lines.map((l) => l.to)).toEqual(
      expect.arrayContaining(['STARTING', 'FAILED', 'RUNNING', 'STOPPING', 'STOPPED']),
    );
    expect(lines.find((l) => l.to === 'FAILED')).toMatchObject({
      level: 'error',
      msg: expect.stringContaining('STARTING → FAILED'),
    });
  });
});

describe('Service registry shutdown and boot failure (e2e)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'fennec-registry-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('should stop services in reverse dependency order on close and log a summary', async () => {
    const from = logs.lines.length;
    fixtureState.flakyFails = false;
    const app = await createTestApp({
      extra: { imports: [RegistryFixturesModule.forRoot()] },
      env: { LOG_LEVEL: 'info', DATA_DIR: dataDir },
      logStream: logs,
    });
    await app.close();
    const stopped = logs.lines
      .slice(from)
      .filter((l) => l.context === 'registry' && l.to === 'STOPPED')
      .map((l) => l.service);
    expect(stopped).toEqual(
      expect.arrayContaining(['data-dir', 'fixture-store', 'fixture-api', 'fixture-flaky', 'fixture-report']),
    );
    const pos = (s: string) => stopped.indexOf(s);
    expect(pos('fixture-api')).toBeLessThan(pos('fixture-store'));
    expect(pos('fixture-api')).toBeLessThan(pos('data-dir'));
    expect(pos('fixture-report')).toBeLessThan(pos('fixture-store'));
    expect(pos('fixture-report')).toBeLessThan(pos('fixture-flaky'));
    const summary = logs.lines
      .slice(from)
      .find((l) => l.msg === `stopped ${stopped.length} managed service(s) in ${String(l.durationMs)} ms`);
    expect(summary).toMatchObject({ level: 'info', failed: [] });
  });

  it('should refuse to boot when a critical service fails, after rolling back what started', async () => {
    const from = logs.lines.length;
    const failed = createTestApp({
      extra: { imports: [RegistryFixturesModule.forRoot({ brokenCritical: true })] },
      env: { LOG_LEVEL: 'info', DATA_DIR: dataDir },
      logStream: logs,
    });
    await expect(failed).rejects.toThrow(
      /^critical service 'fixture-broken' failed to start: license file missing; rolled back \d+ started service\(s\)$/,
    );
    const stopped = logs.lines
      .slice(from)
      .filter((l) => l.context === 'registry' && l.to === 'STOPPED')
      .map((l) => l.service);
    expect(stopped).toContain('fixture-store');
    expect(stopped).toContain('data-dir');
  });
});
