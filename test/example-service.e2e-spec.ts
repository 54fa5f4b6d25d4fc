import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { InventoryModule } from './fixtures/example-service/inventory.controller';
import exampleMetadata from './fixtures/example-service/metadata';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH, TEST_KEYS } from './support/test-credentials';

const EXAMPLE_DIR = join(__dirname, 'fixtures', 'example-service');
const EXAMPLE_FILES = readdirSync(EXAMPLE_DIR)
  .filter((f) => f.startsWith('inventory.') && f.endsWith('.ts'))
  .sort();
const PROBLEM = /^application\/problem\+json/;

/** The example as docs/extending.md shows it: at src/services/inventory/, importing `../../platform`. */
const asDocumented = (source: string) => source.replaceAll("'../../../src/", "'../../");
/** Non-blank lines that are not comments: the count the guide states. */
const codeLines = (source: string) => source.split('\n').filter((l) => !/^\s*(\/\/|\/\*|\*|$)/.test(l)).length;

describe('The documented example service (docs/extending.md)', () => {
  const guide = readFileSync(join(__dirname, '..', 'docs', 'extending.md'), 'utf8');

  it.each(EXAMPLE_FILES)('should show %s in the guide exactly as the tested file', (file) => {
    const block = new RegExp(
      '```ts\\n// src/services/inventory/' + file.replace('.', '\\.') + '\\n([\\s\\S]*?)```',
    ).exec(guide);
    expect(block?.[1]).toBe(asDocumented(readFileSync(join(EXAMPLE_DIR, file), 'utf8')));
  });

  it('should state the real line count, and keep it within 60', () => {
    const total = EXAMPLE_FILES.reduce((n, f) => n + codeLines(readFileSync(join(EXAMPLE_DIR, f), 'utf8')), 0);
    expect(total).toBeLessThanOrEqual(60);
    expect(guide).toContain(`**${total} lines**`);
  });
});

describe('The documented example service, booted (e2e)', () => {
  let app: NestExpressApplication;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-example-'));
    app = await createTestApp({
      extra: { imports: [InventoryModule] },
      env: { DATA_DIR: dataDir },
      openApiMetadata: exampleMetadata,
    });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const as = (key: (typeof TEST_AUTH)['admin']) => ({
    get: (path: string) => request(app.getHttpServer()).get(path).set('authorization', bearer(key)),
    post: (path: string, body?: object) =>
      request(app.getHttpServer())
        .post(path)
        .set('authorization', bearer(key))
        .send(body ?? {}),
    patch: (path: string, body: object) =>
      request(app.getHttpServer()).patch(path).set('authorization', bearer(key)).send(body),
  });
  const operator = as(TEST_AUTH.operator);
  const admin = as(TEST_AUTH.admin);

  it('should start after state, and run with the optional llm down', async () => {
    const res = await operator.get('/services/inventory');
    expect(res.status).toBe(200);
    expect(res.body.dependsOn.map((d: { name: string }) => d.name)).toEqual(['state', 'llm']);
    expect(['RUNNING', 'DEGRADED']).toContain(res.body.state);
    expect(res.body.health).toMatchObject({ status: 'UP', details: { maxStock: 1000 } });
  });

  it('should change and read stock through its validated routes', async () => {
    expect((await operator.get('/v1/inventory/sku-1')).body).toEqual({ item: 'sku-1', quantity: 0 });
    const added = await operator.post('/v1/inventory/sku-1', { delta: 5 });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ item: 'sku-1', quantity: 5 });
    expect((await operator.post('/v1/inventory/sku-1', { delta: -2 })).body.quantity).toBe(3);
    expect((await as(TEST_AUTH.viewer).get('/v1/inventory/sku-1')).body.quantity).toBe(3);
  });

  it("should reject bad input with 400 problems naming the field, and viewers' writes with 403", async () => {
    const badBody = await operator.post('/v1/inventory/sku-1', { delta: 'five' });
    expect(badBody.status).toBe(400);
    expect(badBody.headers['content-type']).toMatch(PROBLEM);
    expect(badBody.body.errors.map((e: { field: string }) => e.field)).toContain('delta');
    expect((await operator.post('/v1/inventory/sku-1', { delta: 20000 })).status).toBe(400);
    const badItem = await operator.get('/v1/inventory/NOT_AN_ID');
    expect(badItem.status).toBe(400);
    expect(badItem.body.errors.map((e: { field: string }) => e.field)).toContain('item');
    expect((await as(TEST_AUTH.viewer).post('/v1/inventory/sku-1', { delta: 1 })).status).toBe(403);
  });

  it("should keep each tenant's stock apart", async () => {
    const globex = as(TEST_KEYS.globex.operator);
    expect((await globex.get('/v1/inventory/sku-1')).body.quantity).toBe(0);
    await globex.post('/v1/inventory/sku-1', { delta: 7 });
    expect((await globex.get('/v1/inventory/sku-1')).body.quantity).toBe(7);
    expect((await operator.get('/v1/inventory/sku-1')).body.quantity).toBe(3);
  });

  it('should lose no update under concurrent changes', async () => {
    await Promise.all(Array.from({ length: 20 }, () => operator.post('/v1/inventory/sku-2', { delta: 1 })));
    expect((await operator.get('/v1/inventory/sku-2')).body.quantity).toBe(20);
  });

  it('should take its limit from runtime config, validated against the settings schema', async () => {
    const schema = await operator.get('/config/inventory/schema');
    expect(schema.body.properties.maxStock).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      default: 1000,
    });
    const invalid = await admin.patch('/config/inventory', { maxStock: 0 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).toContain('maxStock');
    expect((await admin.patch('/config/inventory', { maxStock: 4 })).status).toBe(200);
    const over = await operator.post('/v1/inventory/sku-1', { delta: 2 });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: 'INVENTORY.OUT_OF_RANGE', detail: 'sku-1 would hold 5 (0-4)' });
    expect((await operator.get('/services/inventory')).body.health.details).toEqual({ maxStock: 4 });
    expect((await admin.patch('/config/inventory', { maxStock: null })).status).toBe(200);
  });

  it('should answer 503 with Retry-After while stopped, and serve again once started', async () => {
    expect((await admin.post('/services/inventory/stop')).body.stopped).toEqual(['inventory']);
    const stopped = await operator.get('/v1/inventory/sku-1');
    expect(stopped.status).toBe(503);
    expect(stopped.headers['retry-after']).toBeDefined();
    expect(stopped.body.code).toBe('REGISTRY.SERVICE_UNAVAILABLE');
    expect((await admin.post('/services/inventory/start')).body.started).toEqual(['inventory']);
    expect((await operator.get('/v1/inventory/sku-1')).body.quantity).toBe(3);
  });

  it('should appear in the OpenAPI document with its schemas, 400 and 503', async () => {
    const doc = (await operator.get('/docs-json')).body as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
      >;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    const item = doc.paths['/v1/inventory/{item}'];
    expect(Object.keys(item.get.responses)).toEqual(expect.arrayContaining(['200', '401', '403', '503']));
    expect(Object.keys(item.post.responses)).toEqual(expect.arrayContaining(['201', '400', '403', '503']));
    expect(item.get.responses['200'].content?.['application/json'].schema).toEqual({
      $ref: '#/components/schemas/StockDto',
    });
    expect(doc.components.schemas.StockChangeDto.properties.delta).toMatchObject({ minimum: -10000, maximum: 10000 });
    expect(doc.components.schemas.StockDto.properties.item).toMatchObject({ pattern: '^[a-z0-9-]{1,40}$' });
    expect(doc.components.schemas.InventoryConfigPatch.properties.maxStock).toMatchObject({ maximum: 1000000 });
  });
});
