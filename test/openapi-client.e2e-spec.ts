import type { NestExpressApplication } from '@nestjs/platform-express';
import createClient from 'openapi-fetch';
import type { AddressInfo } from 'node:net';
import type { paths } from './generated/fennec-api';
import { createTestApp } from './support/create-test-app';

/**
 * Drives the running app through a client generated from its own OpenAPI document
 * (openapi-typescript + openapi-fetch). `npm run typecheck` type-checks these calls against
 * the generated types, so a breaking change to a route breaks this file.
 */
describe('Generated OpenAPI client (e2e)', () => {
  let app: NestExpressApplication;
  let client: ReturnType<typeof createClient<paths>>;

  beforeAll(async () => {
    app = await createTestApp();
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    client = createClient<paths>({ baseUrl: `http://127.0.0.1:${port}` });
  });
  afterAll(() => app.close());

  it('should read liveness through the typed client', async () => {
    const { data, error, response } = await client.GET('/health/live');
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    const status: string | undefined = data?.status;
    expect(status).toBe('ok');
  });

  it('should read readiness through the typed client', async () => {
    const { data, response } = await client.GET('/health/ready');
    expect(response.status).toBe(200);
    expect(data?.details).toHaveProperty('lifecycle');
  });
});
