import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';

describe('Security headers and request limits (e2e)', () => {
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({
      env: { CORS_ORIGINS: 'https://app.example.com,https://admin.example.com', HTTP_MAX_URL_LENGTH: '1024' },
    });
  });
  afterAll(() => app.close());

  it('should send helmet headers and no x-powered-by, on success and on problems', async () => {
    for (const res of [await http().get('/health/live'), await http().get('/security/events')]) {
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('should answer CORS preflights only for allow-listed origins', async () => {
    const allowed = await http()
      .options('/security/events')
      .set('origin', 'https://admin.example.com')
      .set('access-control-request-method', 'GET')
      .set('access-control-request-headers', 'authorization');
    expect(allowed.status).toBe(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    const denied = await http()
      .options('/security/events')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'GET');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await http()
      .get('/security/events')
      .set('origin', 'https://app.example.com')
      .set('authorization', bearer(TEST_AUTH.admin));
    expect(simple.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(simple.headers['access-control-expose-headers']).toContain('x-request-id');
  });

  it('should answer an absurdly long URL with a 414 problem, on known and unknown routes', async () => {
    for (const path of [`/security/events?pad=${'a'.repeat(2000)}`, `/${'b'.repeat(2000)}`]) {
      const res = await http().get(path);
      expect(res.status).toBe(414);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 414, code: 'REQUEST.URI_TOO_LONG' });
      expect(res.body.instance.length).toBeLessThanOrEqual(256);
    }
    expect((await http().get(`/health/live?pad=${'a'.repeat(900)}`)).status).toBe(200);
  });
});
