import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import * as img from '../src/services/images/test-images.testing';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_KEYS } from './support/test-credentials';

const ACME = bearer(TEST_KEYS.acme.viewer);

describe('Images rate limits (e2e)', () => {
  let app: NestExpressApplication;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-images-limits-'));
    app = await createTestApp({
      env: { DATA_DIR: dataDir, IMAGES_UPLOADS_PER_MINUTE: '2', IMAGES_TRANSFORMS_PER_MINUTE: '1' },
    });
  });
  afterAll(async () => {
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should answer 429 past IMAGES_UPLOADS_PER_MINUTE and IMAGES_TRANSFORMS_PER_MINUTE, per caller', async () => {
    const bytes = await img.png(40, 40);
    const statuses: number[] = [];
    let id = '';
    for (let i = 0; i < 3; i++) {
      const res = await request(app.getHttpServer())
        .post('/v1/images')
        .set('authorization', ACME)
        .attach('file', bytes, 'a.png');
      statuses.push(res.status);
      if (res.status < 300) id = (res.body as { items: { image: { id: string } }[] }).items[0].image.id;
    }
    expect(statuses).toEqual([201, 200, 429]);
    const other = await request(app.getHttpServer())
      .post('/v1/images')
      .set('authorization', bearer(TEST_KEYS.globex.viewer))
      .attach('file', bytes, 'a.png');
    expect(other.status).toBe(201);
    const transform = () =>
      request(app.getHttpServer())
        .post(`/v1/images/${id}/transform`)
        .set('authorization', ACME)
        .send({ operations: [{ op: 'grayscale' }] });
    expect((await transform()).status).toBe(200);
    const limited = await transform();
    expect([limited.status, (limited.body as { code: string }).code]).toEqual([429, 'RATE_LIMIT.EXCEEDED']);
  });
});
