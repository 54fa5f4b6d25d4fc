import type { NestExpressApplication } from '@nestjs/platform-express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import request from 'supertest';
import { createTestApp } from './support/create-test-app';

/**
 * The real app builds every request and response on Express's own prototypes (so Express never
 * re-parents them; see src/platform/http/express-prototypes.ts), and serves the same with the
 * fast path switched off.
 */
describe('Requests built on Express prototypes (e2e)', () => {
  let app: NestExpressApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  /** For each request: were req and res born on the app's prototypes, before Express ran? */
  const observe = (nest: NestExpressApplication) => {
    const express = nest.getHttpAdapter().getInstance() as { request: object; response: object };
    const seen: boolean[] = [];
    nest.getHttpServer().prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      seen.push(Object.getPrototypeOf(req) === express.request && Object.getPrototypeOf(res) === express.response);
    });
    return seen;
  };

  it.each([
    ['on (default)', {}, true],
    ['off', { HTTP_PREBUILT_PROTOTYPES: 'false' }, false],
  ])('should serve routes, errors and headers alike with the fast path %s', async (_what, env, prebuilt) => {
    app = await createTestApp({ env });
    const seen = observe(app);
    const live = await request(app.getHttpServer()).get('/health/live').set('x-request-id', 'proto-1');
    expect(live.status).toBe(200);
    expect(live.headers['x-request-id']).toBe('proto-1');
    expect(live.headers['x-content-type-options']).toBe('nosniff');
    const missing = await request(app.getHttpServer()).get('/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(seen).toEqual([prebuilt, prebuilt]);
  });
});
