import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
type Method = (typeof METHODS)[number];
interface Op {
  security?: unknown[];
  'x-fennec-role'?: string;
  responses: Record<string, unknown>;
}

/**
 * The routes allowed to be public; anything else public is a hole. Besides the probes, the health
 * tree is public as ARCHITECTURE.md specifies ("details only for authorized callers"); the health
 * module hides the details from anonymous callers.
 */
const ALLOWED_PUBLIC = [
  'GET /health/live',
  'GET /health/ready',
  'GET /health/startup',
  'GET /health',
  'GET /health/services/{name}',
  'GET /metrics',
  // The HMAC-signed, expiring token in the path is the credential (OpenAI-style `url` answers of
  // /v1/images/generations); a forged or expired one is 403 (test/images-generations.e2e-spec.ts).
  'GET /v1/images/signed/{token}',
];

describe('Every documented route is protected (e2e)', () => {
  let app: NestExpressApplication;
  let doc: OpenAPIObject;
  let ops: { method: Method; path: string; url: string; op: Op }[];

  beforeAll(async () => {
    app = await createTestApp();
    const res = await request(app.getHttpServer()).get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as OpenAPIObject;
    ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((method) => ({
        method,
        path,
        url: path.replace(/\{[^}]+\}/g, 'x1'),
        op: item[method] as Op,
      })),
    );
  });
  afterAll(() => app.close());

  const send = (method: Method, url: string) => request(app.getHttpServer())[method](url);

  it('should declare bearer and x-api-key schemes and require one of them by default', () => {
    expect(doc.components?.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
    });
    expect(doc.security).toEqual([{ bearer: [] }, { apiKey: [] }]);
  });

  it('should mark only the allowed routes public', () => {
    const open = ops
      .filter((o) => Array.isArray(o.op.security) && o.op.security.length === 0)
      .map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(open.sort()).toEqual([...ALLOWED_PUBLIC].sort());
  });

  it('should answer 401 AUTH.REQUIRED on every non-public route without credentials', async () => {
    const secured = ops.filter((o) => !(Array.isArray(o.op.security) && o.op.security.length === 0));
    expect(secured.length).toBeGreaterThan(0);
    process.stdout.write(
      `walking ${secured.length} secured operations: ${secured.map((o) => o.method + ' ' + o.path).join(', ')}\n`,
    );
    const answers: string[] = [];
    for (const { method, url } of secured) {
      const res = await send(method, url);
      answers.push(`${method.toUpperCase()} ${url} ${res.status} ${res.body?.code}`);
    }
    expect(answers).toEqual(secured.map(({ method, url }) => `${method.toUpperCase()} ${url} 401 AUTH.REQUIRED`));
    expect(secured.every((o) => '401' in o.op.responses)).toBe(true);
  });

  it('should answer public routes without credentials', async () => {
    for (const { method, url, op } of ops) {
      if (!(Array.isArray(op.security) && op.security.length === 0)) continue;
      const res = await send(method, url);
      expect(`${url} ${res.status}`).not.toBe(`${url} 401`);
    }
  });

  it('should answer 403 AUTH.FORBIDDEN for a viewer on every admin route', async () => {
    const admin = ops.filter((o) => o.op['x-fennec-role'] === 'admin');
    expect(admin.map((o) => `${o.method} ${o.path}`)).toContain('get /security/events');
    const answers: string[] = [];
    for (const { method, url } of admin) {
      const res = await send(method, url).set('authorization', bearer(TEST_AUTH.viewer));
      answers.push(`${method.toUpperCase()} ${url} ${res.status} ${res.body?.code}`);
    }
    expect(answers).toEqual(admin.map(({ method, url }) => `${method.toUpperCase()} ${url} 403 AUTH.FORBIDDEN`));
  });
});
