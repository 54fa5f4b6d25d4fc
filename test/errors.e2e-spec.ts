import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { ErrorProbeController } from './fixtures/error-probe.controller';
import { createTestApp } from './support/create-test-app';
import { LogCapture } from './support/log-capture';

const PROBLEM = /^application\/problem\+json/;

describe('Problem details (e2e)', () => {
  let app: NestExpressApplication;
  const logs = new LogCapture();

  beforeAll(async () => {
    app = await createTestApp({
      extra: { controllers: [ErrorProbeController] },
      env: { LOG_LEVEL: 'info', HTTP_BODY_LIMIT: '2kb' },
      logStream: logs,
    });
  });
  afterAll(() => app.close());

  const http = () => request(app.getHttpServer());

  function expectProblem(res: request.Response, status: number, code: string): void {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ status, code, type: `urn:fennec:problem:${code.toLowerCase()}` });
    expect(typeof res.body.title).toBe('string');
    expect(typeof res.body.detail).toBe('string');
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
    expect(res.body.requestId).not.toBe('');
  }

  it('should answer validation failures with one entry per bad field', async () => {
    const res = await http()
      .post('/probe/orders')
      .send({
        kind: 'z',
        items: [
          { name: 'ok', qty: 1 },
          { name: 5, qty: 0 },
        ],
      });
    expectProblem(res, 400, 'VALIDATION.FAILED');
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['items.1.name', 'items.1.qty', 'kind']);
    expect(res.body.instance).toBe('/probe/orders');
  });

  it('should reject unknown fields by name', async () => {
    const res = await http().post('/probe/orders').send({ kind: 'a', items: [], admin: true });
    expectProblem(res, 400, 'VALIDATION.FAILED');
    expect(res.body.errors).toEqual([{ field: 'admin', message: 'property admin should not exist' }]);
  });

  it('should answer malformed JSON with 400, not 500', async () => {
    const res = await http().post('/probe/orders').set('content-type', 'application/json').send('{"kind": "a",');
    expectProblem(res, 400, 'REQUEST.MALFORMED_BODY');
    expect(res.body.detail).not.toContain('"kind"');
  });

  it('should answer an oversized body with 413 and the configured limit', async () => {
    const res = await http()
      .post('/probe/orders')
      .send({ kind: 'a', items: [], pad: 'x'.repeat(4096) });
    expectProblem(res, 413, 'REQUEST.PAYLOAD_TOO_LARGE');
    expect(res.body.detail).toContain('2048');
  });

  it('should answer unknown routes with 404 ROUTE.NOT_FOUND', async () => {
    const res = await http().get('/no/such/route?x=1');
    expectProblem(res, 404, 'ROUTE.NOT_FOUND');
    expect(res.body.instance).toBe('/no/such/route');
  });

  it('should map domain errors by kind and set Retry-After on 503', async () => {
    const res = await http().get('/probe/busy');
    expectProblem(res, 503, 'WIDGET.BUSY');
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.retryAfter).toBe(7);
    expect(res.body.detail).toBe('The widget is busy');
  });

  it('should keep HttpException statuses and give them a stable code', async () => {
    const res = await http().get('/probe/teapot');
    expectProblem(res, 418, 'HTTP.I_AM_A_TEAPOT');
    const bad = await http().get('/probe/items/abc');
    expectProblem(bad, 400, 'REQUEST.INVALID');
  });

  it('should hide the cause of unexpected errors and log it with the request id', async () => {
    const res = await http().get('/probe/boom').set('x-request-id', 'trace-boom-1');
    expectProblem(res, 500, 'INTERNAL.ERROR');
    expect(res.body.requestId).toBe('trace-boom-1');
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|\/opt\/app|stack|db\.ts/);
    const lines = logs.forRequest('trace-boom-1');
    const errLine = lines.find((l) => l.level === 'error');
    expect(errLine).toBeDefined();
    expect(JSON.stringify(errLine)).toContain('db.ts:42');
  });

  it('should give internal domain errors a generic detail', async () => {
    const res = await http().get('/probe/domain-internal');
    expectProblem(res, 500, 'WIDGET.BROKEN');
    expect(res.body.detail).not.toContain('/srv/x');
  });

  it('should count errors by code and route template in /metrics', async () => {
    await http().get('/probe/items/abc');
    const res = await http().get('/metrics');
    expect(res.status).toBe(200);
    expect(res.text).toMatch(
      /fennec_http_errors_total\{code="REQUEST.INVALID",route="\/probe\/items\/:id",status_code="400"\} [1-9]/,
    );
    expect(res.text).toMatch(
      /fennec_http_errors_total\{code="ROUTE.NOT_FOUND",route="<unmatched>",status_code="404"\} [1-9]/,
    );
  });

  describe('bad input batch', () => {
    const cases: [string, () => request.Test][] = [
      ['broken JSON', () => http().post('/probe/orders').set('content-type', 'application/json').send('{nope')],
      [
        'truncated JSON',
        () => http().post('/probe/orders').set('content-type', 'application/json').send('{"kind":"a","items":['),
      ],
      ['JSON null body', () => http().post('/probe/orders').set('content-type', 'application/json').send('null')],
      ['JSON array body', () => http().post('/probe/orders').send([1, 2, 3])],
      ['wrong types', () => http().post('/probe/orders').send({ kind: 1, items: 'many' })],
      [
        'nested wrong types',
        () =>
          http()
            .post('/probe/orders')
            .send({ kind: 'a', items: [{ name: {}, qty: '1' }] }),
      ],
      ['unknown fields', () => http().post('/probe/orders').send({ kind: 'a', items: [], extra: 1 })],
      [
        '__proto__ key',
        () =>
          http()
            .post('/probe/orders')
            .set('content-type', 'application/json')
            .send('{"kind":"a","items":[],"__proto__":{"isAdmin":true}}'),
      ],
      [
        'nested __proto__',
        () =>
          http()
            .post('/probe/orders')
            .set('content-type', 'application/json')
            .send('{"kind":"a","items":[{"__proto__":{"x":1},"name":"n","qty":1}]}'),
      ],
      [
        'constructor.prototype',
        () =>
          http()
            .post('/probe/orders')
            .set('content-type', 'application/json')
            .send('{"kind":"a","items":[],"constructor":{"prototype":{"x":1}}}'),
      ],
      [
        'huge body',
        () =>
          http()
            .post('/probe/orders')
            .send({ kind: 'a', items: [], pad: 'y'.repeat(10_000) }),
      ],
      [
        'too many items',
        () =>
          http()
            .post('/probe/orders')
            .send({ kind: 'a', items: Array.from({ length: 9 }, () => ({ name: 'n', qty: 1 })) }),
      ],
      [
        'unsupported charset',
        () => http().post('/probe/orders').set('content-type', 'application/json; charset=klingon').send('{}'),
      ],
      [
        'unsupported encoding',
        () =>
          http()
            .post('/probe/orders')
            .set('content-type', 'application/json')
            .set('content-encoding', 'zstd-nope')
            .send('{}'),
      ],
      ['odd request id header', () => http().post('/probe/orders').set('x-request-id', '<script>'.repeat(40)).send({})],
      ['non-numeric param', () => http().get('/probe/items/1e999')],
      ['bad percent-encoding', () => http().get('/probe/items/%E0%A4%A')],
      ['form body', () => http().post('/probe/orders').type('form').send('kind=a&items=1')],
      ['text body', () => http().post('/probe/orders').set('content-type', 'text/plain').send('hello')],
    ];

    it.each(cases)('should answer %s with a 4xx problem', async (_name, send) => {
      const res = await send();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toMatch(/^[A-Z_]+(\.[A-Z_]+)+$/);
      expect(res.body.detail.length).toBeGreaterThan(0);
      expect(res.body.detail).not.toContain('<script>');
    });

    it('should still serve after the batch', async () => {
      const res = await http()
        .post('/probe/orders')
        .send({ kind: 'a', items: [{ name: 'n', qty: 2 }] });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ accepted: 1 });
    });
  });
});
