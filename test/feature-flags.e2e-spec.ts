import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { FeatureFlags } from '../src/platform/feature-flags/feature-flags.service';
import { FlaggedController } from './fixtures/flagged.controller';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH, TEST_KEYS } from './support/test-credentials';

const ADMIN = bearer(TEST_AUTH.admin);

describe('Feature flags (e2e)', () => {
  let dir: string;
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fennec-flags-'));
    app = await createTestApp({
      extra: { controllers: [FlaggedController] },
      env: { DATA_DIR: dir, FENNEC_FLAGS__FLAGS: '{"fromEnv":{"enabled":true}}' },
    });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should read flags from the environment layer', () => {
    expect(app.get(FeatureFlags).isEnabled('fromEnv')).toBe(true);
  });

  it('should hide a flagged route behind the same 404 as an absent route while the flag is off', async () => {
    const res = await http().get('/probe/flagged/beta').set('authorization', ADMIN).expect(404);
    expect(res.body).toMatchObject({ code: 'ROUTE.NOT_FOUND', detail: 'No route matches GET /probe/flagged/beta' });
    const absent = await http().get('/probe/flagged/nothing-here').set('authorization', ADMIN).expect(404);
    expect(absent.body.code).toBe(res.body.code);
  });

  it('should open the route once the flag is enabled through runtime config, and close it again', async () => {
    await http()
      .patch('/config/flags')
      .set('authorization', ADMIN)
      .send({ flags: { beta: { enabled: true } } })
      .expect(200);
    expect((await http().get('/probe/flagged/beta').set('authorization', ADMIN).expect(200)).body).toEqual({
      beta: true,
    });
    await http().get('/probe/flagged/public-beta').expect(200);
    const cfg = await http().get('/config/flags').set('authorization', ADMIN).expect(200);
    expect(cfg.body.values.flags).toEqual({ fromEnv: { enabled: true }, beta: { enabled: true } });

    await http()
      .patch('/config/flags')
      .set('authorization', ADMIN)
      .send({ flags: { beta: null } })
      .expect(200);
    await http().get('/probe/flagged/beta').set('authorization', ADMIN).expect(404);
  });

  it('should evaluate per tenant from the authenticated caller', async () => {
    await http()
      .patch('/config/flags')
      .set('authorization', ADMIN)
      .send({ flags: { beta: { enabled: false, tenants: { globex: { enabled: true } } } } })
      .expect(200);
    await http().get('/probe/flagged/beta').set('authorization', ADMIN).expect(404);
    await http().get('/probe/flagged/beta').set('authorization', bearer(TEST_KEYS.globex.viewer)).expect(200);
  });

  it('should reject an invalid flag rule naming it, and change nothing', async () => {
    const before = await http().get('/config/flags').set('authorization', ADMIN).expect(200);
    const res = await http()
      .patch('/config/flags')
      .set('authorization', ADMIN)
      .send({ flags: { beta: { enabled: true, rolloutPercent: 150 } } })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION.FAILED');
    expect(res.body.errors).toEqual([
      { field: 'flags', message: 'flags.beta.rolloutPercent must be a number from 0 to 100' },
    ]);
    const after = await http().get('/config/flags').set('authorization', ADMIN).expect(200);
    expect(after.body.version).toBe(before.body.version);
  });
});
