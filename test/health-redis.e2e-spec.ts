import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

/** The redis indicator is the state service's check on the app's own connection (real Redis). */
describe('Health with Redis (e2e)', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await createTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:6379/0' } });
  });

  afterAll(() => app.close());

  it('should report Redis through the state service, reusing its connection', async () => {
    const res = await request(app.getHttpServer()).get('/health').set('authorization', bearer(TEST_AUTH.viewer));
    expect(res.body.indicators.redis).toMatchObject({
      status: 'UP',
      details: { service: 'state', backend: 'redis', latencyMs: expect.any(Number) },
    });
    expect(res.body.services.state).toMatchObject({ status: 'UP', details: { backend: 'redis' } });
    // Anonymous callers see the status only.
    const anon = await request(app.getHttpServer()).get('/health');
    expect(anon.body.indicators.redis).toEqual({ status: 'UP' });
  });
});
