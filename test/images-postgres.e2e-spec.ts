import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import * as img from '../src/services/images/test-images.testing';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_KEYS } from './support/test-credentials';

const ACME = bearer(TEST_KEYS.acme.viewer);
const GLOBEX = bearer(TEST_KEYS.globex.viewer);
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface IngestItem {
  image: { id: string; sha256: string };
  created: boolean;
  duplicateOf?: string;
  nearDuplicates: { id: string; distance: number }[];
}

describe('Images on PostgreSQL (e2e)', () => {
  const schema = `images_e2e_${process.pid}_${Date.now().toString(36)}`;
  let dataDir: string;
  let app: NestExpressApplication;
  const boot = () =>
    createTestApp({
      env: {
        DATA_DIR: dataDir,
        DATABASE_URL: PG_URL,
        IMAGES_DATABASE_SCHEMA: schema,
        RAG_DATABASE_SCHEMA: `${schema}_rag`,
      },
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-images-pg-'));
    app = await boot();
  });
  afterAll(async () => {
    await app.close();
    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_rag CASCADE`);
    await client.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  const upload = async (bytes: Buffer, auth = ACME) => {
    const res = await request(app.getHttpServer())
      .post('/v1/images')
      .set('authorization', auth)
      .attach('file', bytes, 'x');
    return { status: res.status, item: (res.body as { items: IngestItem[] }).items[0] };
  };

  it('should keep metadata in PostgreSQL: dedup, near-duplicates, tenants, list and delete, across a restart', async () => {
    const health = await request(app.getHttpServer())
      .get('/health/services/images')
      .set('authorization', bearer(TEST_KEYS.acme.admin));
    expect(JSON.stringify(health.body)).toContain('"store":"postgres"');
    const original = await upload(await img.jpeg(640, 480, 3));
    expect(original.status).toBe(201);
    const dup = await upload(await img.jpeg(640, 480, 3));
    expect([dup.status, dup.item.duplicateOf]).toEqual([200, original.item.image.id]);
    const resized = await upload(await img.png(320, 240, 3));
    expect(resized.item.nearDuplicates.map((n) => n.id)).toContain(original.item.image.id);
    const other = await upload(await img.jpeg(640, 480, 3), GLOBEX);
    expect(other.status).toBe(201);
    expect(other.item.nearDuplicates).toEqual([]);

    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    const { rows } = await client.query<{ tenant: string; n: string }>(
      `SELECT tenant, count(*) AS n FROM ${schema}.images GROUP BY tenant ORDER BY tenant`,
    );
    await client.end();
    expect(rows).toEqual([
      { tenant: 'acme', n: '2' },
      { tenant: 'globex', n: '1' },
    ]);

    await app.close();
    app = await boot();
    const list = await request(app.getHttpServer()).get('/v1/images').set('authorization', ACME);
    expect((list.body as { total: number }).total).toBe(2);
    const similar = await request(app.getHttpServer())
      .get(`/v1/images/${original.item.image.id}/similar`)
      .set('authorization', ACME);
    expect((similar.body as { items: { image: { id: string } }[] }).items.map((h) => h.image.id)).toEqual([
      resized.item.image.id,
    ]);
    const del = await request(app.getHttpServer())
      .delete(`/v1/images/${original.item.image.id}`)
      .set('authorization', ACME);
    expect(del.status).toBe(204);
    // The blob is shared with globex's copy of the same bytes: it must still be served to globex.
    const globexContent = await request(app.getHttpServer())
      .get(`/v1/images/${other.item.image.id}/content`)
      .set('authorization', GLOBEX);
    expect(globexContent.status).toBe(200);
  });
});
