import SwaggerParser from '@apidevtools/swagger-parser';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import { createTestApp } from './support/create-test-app';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
type Operation = { operationId?: string; responses: Record<string, { content?: Record<string, unknown> }> };

function operations(doc: OpenAPIObject): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => [path, m, item[m] as Operation] as [string, string, Operation]),
  );
}

describe('OpenAPI document (e2e)', () => {
  let app: NestExpressApplication;
  let doc: OpenAPIObject;

  beforeAll(async () => {
    app = await createTestApp();
    const res = await request(app.getHttpServer()).get('/docs-json');
    expect(res.status).toBe(200);
    doc = res.body as OpenAPIObject;
  });
  afterAll(() => app.close());

  it('should be a valid OpenAPI 3 document', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('should give every operation a unique, readable operationId', () => {
    const ids = operations(doc).map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('should document a success schema and problem+json errors for every operation', () => {
    for (const [path, method, op] of operations(doc)) {
      const codes = Object.keys(op.responses);
      expect({ path, method, hasSuccess: codes.some((c) => /^2\d\d$/.test(c)) }).toEqual({
        path,
        method,
        hasSuccess: true,
      });
      expect(op.responses['500']?.content).toHaveProperty(['application/problem+json']);
    }
  });

  it('should serve Swagger UI at /docs', async () => {
    const res = await request(app.getHttpServer()).get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('should serve everything the UI loads, and the YAML document', async () => {
    const http = request(app.getHttpServer());
    const page = await http.get('/docs');
    expect(page.status).toBe(200);
    // The assets the page references, and the init script that carries the document.
    for (const asset of ['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui-init.js']) {
      const res = await http.get(asset);
      expect([asset, res.status]).toEqual([asset, 200]);
    }
    const yaml = await http.get('/docs-yaml');
    expect(yaml.status).toBe(200);
    expect(yaml.text).toContain('openapi: 3');
    // Anything else under the prefix is still a problem+json 404, not a Swagger answer.
    const missing = await http.get('/docs-nope');
    expect(missing.status).toBe(404);
    expect(missing.type).toBe('application/problem+json');
  });

  it('should match the committed docs/openapi.json (run `npm run openapi` after changing routes)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'docs', 'openapi.json'), 'utf8')) as unknown;
    expect(JSON.parse(JSON.stringify(doc))).toEqual(committed);
  });

  it('should match the committed generated client types (run `npm run openapi`)', () => {
    // openapi-typescript needs native ESM loading, which Jest's CommonJS runtime lacks: run it as a child.
    const dir = mkdtempSync(join(tmpdir(), 'fennec-openapi-'));
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(doc));
    const root = join(__dirname, '..');
    execFileSync(
      process.execPath,
      ['-r', '@swc-node/register', 'scripts/generate-client-types.ts', join(dir, 'spec.json'), join(dir, 'api.ts')],
      { cwd: root, stdio: 'pipe' },
    );
    const committed = readFileSync(join(__dirname, 'generated', 'fennec-api.ts'), 'utf8');
    expect(readFileSync(join(dir, 'api.ts'), 'utf8')).toBe(committed);
  });
});
