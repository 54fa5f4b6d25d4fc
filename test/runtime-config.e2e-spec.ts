import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { RuntimeConfigService } from '../src/platform/runtime-config/runtime-config.service';
import { WidgetConfigService } from './fixtures/widget-config.service';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

const ADMIN = bearer(TEST_AUTH.admin);
const OPERATOR = bearer(TEST_AUTH.operator);
const VIEWER = bearer(TEST_AUTH.viewer);

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('Runtime configuration (e2e)', () => {
  let dir: string;
  let configFile: string;
  let app: NestExpressApplication;
  let widget: WidgetConfigService;

  const boot = async () => {
    app = await createTestApp({
      extra: { providers: [WidgetConfigService] },
      env: {
        DATA_DIR: join(dir, 'data'),
        FENNEC_CONFIG_FILE: configFile,
        FENNEC_CONFIG_FILE_POLL_MS: '50',
        FENNEC_WIDGET__TOP_K: '8',
      },
    });
    widget = app.get(WidgetConfigService);
  };
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fennec-config-'));
    configFile = join(dir, 'fennec.json');
    writeFileSync(configFile, JSON.stringify({ widget: { greeting: 'from-file', mode: 'thorough' } }));
    await boot();
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should list services with their versions and the state backend', async () => {
    const res = await http().get('/config').set('authorization', OPERATOR).expect(200);
    expect(res.body.services).toEqual(
      expect.arrayContaining([expect.objectContaining({ service: 'widget', version: 0 })]),
    );
    expect(res.body.store).toEqual({ backend: 'memory', status: 'UP' });
  });

  it('should layer defaults < file < env and say where each value comes from', async () => {
    const res = await http().get('/config/widget').set('authorization', OPERATOR).expect(200);
    expect(res.headers.etag).toBe('"0"');
    expect(res.body).toMatchObject({
      service: 'widget',
      version: 0,
      values: { topK: 8, mode: 'thorough', greeting: 'from-file' },
      sources: { topK: 'env', mode: 'file', greeting: 'file' },
    });
    expect(app.get(RuntimeConfigService).get('widget')).toMatchObject({ topK: 8 });
  });

  it('should give the service its own settings through ServiceConfig, current after every change', async () => {
    expect(widget.config.service).toBe('widget');
    expect(widget.config.current).toMatchObject({ topK: 8, mode: 'thorough' });
    expect(widget.config.current).toBe(app.get(RuntimeConfigService).get('widget'));
  });

  it("should serve the JSON Schema of a service's settings with types, ranges, defaults and secrets", async () => {
    const res = await http().get('/config/widget/schema').set('authorization', OPERATOR).expect(200);
    expect(res.body).toMatchObject({ type: 'object', additionalProperties: false });
    expect(res.body.properties.topK).toMatchObject({ type: 'integer', minimum: 1, maximum: 50, default: 4 });
    expect(res.body.properties.mode).toMatchObject({ enum: ['fast', 'thorough'], default: 'fast' });
    expect(res.body.properties.apiKey).toMatchObject({ type: 'string', 'x-fennec-secret': true });
    expect(res.body.properties.greeting['x-fennec-secret']).toBeUndefined();
    const unknown = await http().get('/config/nope/schema').set('authorization', OPERATOR).expect(404);
    expect(unknown.body.code).toBe('CONFIG.SERVICE_NOT_FOUND');
    await http().get('/config/widget/schema').set('authorization', VIEWER).expect(403);
  });

  it("should describe each service's PATCH body in the OpenAPI document", async () => {
    const doc = (await http().get('/docs-json').expect(200)).body as {
      paths: Record<
        string,
        { patch: { requestBody: { content: Record<string, { schema: { anyOf: { $ref: string }[] } }> } } }
      >;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    const body = doc.paths['/config/{service}'].patch.requestBody.content['application/json'].schema;
    expect(body.anyOf).toContainEqual({ $ref: '#/components/schemas/WidgetConfigPatch' });
    expect(doc.components.schemas.WidgetConfigPatch.properties.topK).toMatchObject({
      type: 'integer',
      maximum: 50,
      nullable: true,
    });
  });

  it('should apply a valid change, call onConfigChange and count it', async () => {
    const before = widget.changes.length;
    const res = await http()
      .patch('/config/widget')
      .set('authorization', ADMIN)
      .send({ topK: 12, apiKey: 's3cr3t' })
      .expect(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      version: 1,
      values: { topK: 12, apiKey: '******' },
      sources: { topK: 'runtime' },
    });
    expect(res.body.updatedBy).toBe(TEST_AUTH.admin.id);
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t');
    expect(widget.changes.slice(before)).toEqual([
      { next: expect.objectContaining({ topK: 12, apiKey: 's3cr3t' }), previous: expect.objectContaining({ topK: 8 }) },
    ]);
    expect(app.get(RuntimeConfigService).get('widget')).toMatchObject({ topK: 12, apiKey: 's3cr3t' });
    const metrics = await http().get('/metrics').set('authorization', ADMIN).expect(200);
    expect(metrics.text).toMatch(/fennec_config_changes_total\{service="widget",source="api"\} 1/);
  });

  it('should reject a bad value naming the field, and change nothing', async () => {
    const before = widget.changes.length;
    const res = await http()
      .patch('/config/widget')
      .set('authorization', ADMIN)
      .send({ topK: 0, mode: 'fast' })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION.FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['topK']);
    const unknown = await http().patch('/config/widget').set('authorization', ADMIN).send({ topk: 3 }).expect(400);
    expect(unknown.body.errors).toEqual([{ field: 'topk', message: expect.stringContaining('no setting') }]);
    await http().patch('/config/widget').set('authorization', ADMIN).send([1]).expect(400);
    const now = await http().get('/config/widget').set('authorization', ADMIN).expect(200);
    expect(now.body).toMatchObject({ version: 1, values: { topK: 12, mode: 'thorough' } });
    expect(widget.changes.length).toBe(before);
  });

  it('should refuse a stale If-Match with 409 and accept the current one', async () => {
    const stale = await http()
      .patch('/config/widget')
      .set('authorization', ADMIN)
      .set('if-match', '"0"')
      .send({ topK: 5 })
      .expect(409);
    expect(stale.body.code).toBe('CONFIG.VERSION_CONFLICT');
    const ok = await http()
      .patch('/config/widget')
      .set('authorization', ADMIN)
      .set('if-match', '"1"')
      .send({ greeting: 'hi' })
      .expect(200);
    expect(ok.body).toMatchObject({ version: 2, values: { topK: 12, greeting: 'hi' } });
    await http()
      .patch('/config/widget')
      .set('authorization', ADMIN)
      .set('if-match', 'yesterday')
      .send({ topK: 5 })
      .expect(400);
  });

  it('should keep a bounded history, newest first, with secrets masked', async () => {
    const res = await http().get('/config/widget/history?limit=10').set('authorization', OPERATOR).expect(200);
    expect(res.body.entries.map((e: { version: number }) => e.version)).toEqual([2, 1]);
    expect(res.body.entries[1]).toMatchObject({
      action: 'patch',
      changed: ['apiKey', 'topK'],
      overrides: { apiKey: '******' },
    });
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t');
    await http().get('/config/widget/history?limit=0').set('authorization', OPERATOR).expect(400);
  });

  it('should roll back to an earlier version as a new version', async () => {
    const res = await http()
      .post('/config/widget/rollback')
      .set('authorization', ADMIN)
      .send({ version: 1 })
      .expect(200);
    expect(res.body).toMatchObject({ version: 3, values: { topK: 12, greeting: 'from-file' } });
    const toDefaults = await http()
      .post('/config/widget/rollback')
      .set('authorization', ADMIN)
      .send({ version: 0 })
      .expect(200);
    expect(toDefaults.body).toMatchObject({ version: 4, values: { topK: 8, greeting: 'from-file' } });
    expect(toDefaults.body.values.apiKey).toBeUndefined();
    const missing = await http()
      .post('/config/widget/rollback')
      .set('authorization', ADMIN)
      .send({ version: 99 })
      .expect(404);
    expect(missing.body.code).toBe('CONFIG.VERSION_NOT_FOUND');
    const history = await http().get('/config/widget/history').set('authorization', OPERATOR).expect(200);
    expect(history.body.entries[1]).toMatchObject({ version: 3, action: 'rollback', rolledBackTo: 1 });
  });

  it('should answer 404 for an unknown service', async () => {
    for (const res of [
      await http().get('/config/nope').set('authorization', ADMIN),
      await http().patch('/config/nope').set('authorization', ADMIN).send({ a: 1 }),
      await http().get('/config/nope/history').set('authorization', ADMIN),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('CONFIG.SERVICE_NOT_FOUND');
    }
  });

  it('should let operators read but only admins write', async () => {
    await http().get('/config/widget').set('authorization', VIEWER).expect(403);
    await http().patch('/config/widget').set('authorization', OPERATOR).send({ topK: 3 }).expect(403);
    await http().post('/config/widget/rollback').set('authorization', OPERATOR).send({ version: 0 }).expect(403);
    await http().get('/config/widget').expect(401);
  });

  it('should hot-reload the config file, and ignore an invalid one', async () => {
    const before = widget.changes.length;
    writeFileSync(configFile, JSON.stringify({ widget: { greeting: 'reloaded', mode: 'fast' } }));
    await eventually(() => app.get(RuntimeConfigService).get<{ greeting: string }>('widget').greeting === 'reloaded');
    expect(widget.changes.length).toBe(before + 1);
    expect(widget.changes.at(-1)?.next).toMatchObject({ greeting: 'reloaded', mode: 'fast' });

    writeFileSync(configFile, JSON.stringify({ widget: { mode: 'sideways' } }));
    await sleep(300);
    expect(app.get(RuntimeConfigService).get('widget')).toMatchObject({ greeting: 'reloaded', mode: 'fast' });
    expect(widget.changes.length).toBe(before + 1);
  });

  it('should persist accepted versions atomically in DATA_DIR and restore them after a restart', async () => {
    const stored = JSON.parse(readFileSync(join(dir, 'data', 'runtime-config.json'), 'utf8'));
    expect(stored.services.widget.history[0].version).toBe(4);
    await http().patch('/config/widget').set('authorization', ADMIN).send({ topK: 20 }).expect(200);
    await app.close();
    writeFileSync(configFile, JSON.stringify({ widget: { greeting: 'after-restart' } }));
    await boot();
    const res = await http().get('/config/widget').set('authorization', OPERATOR).expect(200);
    expect(res.body).toMatchObject({ version: 5, values: { topK: 20, greeting: 'after-restart' } });
  });

  it('should refuse to boot when the config file or env names an invalid value', async () => {
    await app.close();
    writeFileSync(configFile, JSON.stringify({ widget: { mode: 'sideways' } }));
    await expect(boot()).rejects.toThrow(/widget\.mode/);
    writeFileSync(configFile, '{}');
    await expect(
      createTestApp({
        extra: { providers: [WidgetConfigService] },
        env: { DATA_DIR: join(dir, 'data'), FENNEC_WIDGET__TOPK: '3' },
      }),
    ).rejects.toThrow(/FENNEC_WIDGET__TOPK/);
    await boot();
  });
});
