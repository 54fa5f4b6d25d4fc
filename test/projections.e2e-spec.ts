import type { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import sharp from 'sharp';
import request from 'supertest';
import type { Caller } from '../src/platform/context';
import { JobWorkerPool } from '../src/platform/jobs';
import { ProjectionsService } from '../src/services/projections';
import { FakeOllama } from './fixtures/fake-ollama';
import { withLlmClient } from './fixtures/llm/fake-llm.module';
import { OllamaLlmClient } from './fixtures/llm/ollama-llm-client';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_KEYS } from './support/test-credentials';

const ACME = bearer(TEST_KEYS.acme.viewer);
const GLOBEX = bearer(TEST_KEYS.globex.viewer);

/** Three topics with disjoint vocabularies: the fake's bag-of-words embeddings cluster by topic. */
const TOPICS = {
  space: 'comet orbit telescope galaxy nebula planet asteroid eclipse meteor astronaut'.split(' '),
  money: 'stock bond dividend equity portfolio broker loan inflation mortgage pension'.split(' '),
  music: 'violin sonata orchestra melody rhythm chord piano concerto tempo harmony'.split(' '),
} as const;
type Topic = keyof typeof TOPICS;
const PER_TOPIC = 100;

/** Document i of a topic: six of its words (a deterministic pick) and two words every topic shares. */
function text(topic: Topic, i: number): string {
  const words = TOPICS[topic];
  const picked = Array.from({ length: 6 }, (_, j) => words[(i * 7 + j * 3 + (i >> 2)) % words.length]);
  return `Weekly notes: ${picked.join(' ')}.`;
}

const http = (app: NestExpressApplication, auth = ACME) => {
  const agent = request(app.getHttpServer());
  return {
    post: (path: string, body: object) => agent.post(path).set('authorization', auth).send(body),
    get: (path: string) => agent.get(path).set('authorization', auth),
    delete: (path: string) => agent.delete(path).set('authorization', auth),
  };
};

interface Point {
  chunkId: string;
  documentId: string;
  x: number;
  y: number;
  z?: number;
  cluster?: number;
  metadata: { topic: Topic };
}

const topicOf = (p: Point) => p.metadata.topic;

describe('Projections (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeOllama;
  let dataDir: string;

  const finished = async (id: string, auth = ACME, on?: NestExpressApplication) =>
    eventually(
      async () => {
        const res = await http(on ?? app, auth).get(`/v1/projections/${id}`);
        return ['succeeded', 'failed', 'cancelled'].includes(res.body.status) && res;
      },
      { timeoutMs: 120_000, what: `projection ${id} to finish` },
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fennec-projections-e2e-'));
    fake = await FakeOllama.start();
    app = await createTestApp({
      env: { DATA_DIR: dataDir, RAG_FSYNC: 'false', JOBS_WORKER_THREADS: '1' },
      ...withLlmClient(new OllamaLlmClient(fake.url)),
    });
    for (const topic of Object.keys(TOPICS) as Topic[]) {
      for (let i = 0; i < PER_TOPIC; i++) {
        const res = await http(app).post('/v1/rag/documents', {
          id: `${topic}-${i}`,
          title: `${topic} ${i}`,
          text: text(topic, i),
          metadata: { topic, even: i % 2 === 0 },
        });
        expect(res.body).toMatchObject({ embedded: true, chunks: 1 });
      }
    }
  });
  afterAll(async () => {
    await app.close();
    await fake.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should project with UMAP in a job, keep the topics apart and measure it, label clusters and stay in its tenant', async () => {
    const submit = await http(app).post('/v1/projections', {
      method: 'umap',
      sample: { size: 90, seed: 7 },
      params: { epochs: 150, neighbors: 10, clusters: 3 },
    });
    expect(submit.status).toBe(202);
    expect(submit.headers.location).toBe(`/jobs/${submit.body.id}`);
    expect(submit.headers['content-location']).toBe(`/v1/projections/${submit.body.id}`);
    expect(submit.body).toMatchObject({ kind: 'projections.compute', tenant: 'acme' });
    const done = await finished(submit.body.id);
    expect(done.body).toMatchObject({
      status: 'succeeded',
      method: 'umap',
      dimensions: 2,
      stale: false,
      pointCount: 90,
    });
    const { result } = done.body;
    expect(result.candidates).toBe(3 * PER_TOPIC);
    expect(result.embeddingDimensions).toBe(256);
    const points = result.points as Point[];
    expect(points).toHaveLength(90);
    expect(new Set(points.map((p) => p.chunkId)).size).toBe(90);
    expect(points[0]).toEqual(
      expect.objectContaining({ chunkId: `${points[0].documentId}#0`, x: expect.any(Number), y: expect.any(Number) }),
    );
    // A random sample, not the newest 90 (those would all be music documents 10..99).
    const topics = new Set(points.map(topicOf));
    expect(topics.size).toBe(3);
    // Quality: neighbourhoods kept far above what a random layout keeps.
    const knn = result.quality.knnPreservation;
    expect(knn.evaluatedPoints).toBe(90);
    expect(knn.score).toBeGreaterThan(knn.randomBaseline * 3);
    expect(result.quality.explainedVariance).toBeUndefined();
    // Each projected point's nearest neighbour is of its own topic.
    let same = 0;
    for (const p of points) {
      const nearest = points
        .filter((q) => q !== p)
        .reduce((a, b) => ((a.x - p.x) ** 2 + (a.y - p.y) ** 2 <= (b.x - p.x) ** 2 + (b.y - p.y) ** 2 ? a : b));
      if (topicOf(nearest) === topicOf(p)) same++;
    }
    expect(same / points.length).toBeGreaterThan(0.95);
    // k-means finds the topics; each cluster is labelled with words of its topic only.
    expect(result.clusters).toHaveLength(3);
    for (const cluster of result.clusters as { id: number; size: number; terms: string[] }[]) {
      const members = points.filter((p) => p.cluster === cluster.id);
      expect(members).toHaveLength(cluster.size);
      const topic = topicOf(members[0]);
      expect(members.every((p) => topicOf(p) === topic)).toBe(true);
      expect(cluster.terms.length).toBeGreaterThan(0);
      for (const term of cluster.terms) expect(TOPICS[topic]).toContain(term);
    }
    // Another tenant sees none of it.
    expect((await http(app, GLOBEX).get(`/v1/projections/${submit.body.id}`)).status).toBe(404);
    expect((await http(app, GLOBEX).get(`/v1/projections/${submit.body.id}/plot.svg`)).status).toBe(404);
    expect((await http(app, GLOBEX).get('/v1/projections')).body.items).toEqual([]);
    expect((await http(app, GLOBEX).delete(`/v1/projections/${submit.body.id}`)).status).toBe(404);
  });

  it('should project with PCA in 3-d over a filter, with explained variance showing the structure', async () => {
    const submit = await http(app).post('/v1/projections', {
      method: 'pca',
      dimensions: 3,
      sample: { size: 1000, seed: 1 },
      filter: { even: true },
    });
    expect(submit.status).toBe(202);
    const { body } = await finished(submit.body.id);
    expect(body.status).toBe('succeeded');
    const points = body.result.points as (Point & { metadata: { even: boolean } })[];
    expect(points).toHaveLength(150);
    expect(points.every((p) => p.metadata.even === true && typeof p.z === 'number')).toBe(true);
    const variance = body.result.quality.explainedVariance;
    expect(variance.perComponent).toHaveLength(3);
    // Three topics span two directions: the first two components carry most of the variance.
    expect(variance.perComponent[0] + variance.perComponent[1]).toBeGreaterThan(0.5);
    expect(body.result.quality.knnPreservation.score).toBeGreaterThan(
      body.result.quality.knnPreservation.randomBaseline * 3,
    );
  });

  it('should draw the projection as SVG and PNG', async () => {
    const submit = await http(app).post('/v1/projections', {
      method: 'pca',
      sample: { size: 60, seed: 3 },
      params: { clusters: 3 },
    });
    await finished(submit.body.id);
    const svg = await http(app).get(`/v1/projections/${submit.body.id}/plot.svg`);
    expect(svg.status).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.headers['content-security-policy']).toContain('sandbox');
    const markup = svg.text || (svg.body as Buffer).toString('utf8');
    expect(markup).toContain('PCA of 60 of 300 chunks');
    expect(markup.match(/<circle [^>]*r="4"/g)).toHaveLength(60);
    expect(markup).toContain('Clusters');
    const png = await request(app.getHttpServer())
      .get(`/v1/projections/${submit.body.id}/plot.png`)
      .set('authorization', ACME)
      .buffer(true)
      .parse((res, done) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => done(null, Buffer.concat(parts)));
      });
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(await sharp(png.body as Buffer).metadata()).toMatchObject({ format: 'png', width: 960, height: 720 });
  });

  it('should answer the same request from the cache, and mark it stale once a document is added', async () => {
    const body = { method: 'pca', sample: { size: 40, seed: 11 } };
    const first = await http(app).post('/v1/projections', body);
    expect(first.status).toBe(202);
    await finished(first.body.id);
    const again = await http(app).post('/v1/projections', { ...body, sample: { seed: 11, size: 40 } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: first.body.id, cached: true, status: 'succeeded', stale: false });
    expect(again.body.result.points).toHaveLength(40);
    // Another seed is another projection.
    const otherSeed = await http(app).post('/v1/projections', { ...body, sample: { size: 40, seed: 12 } });
    expect(otherSeed.status).toBe(202);
    // Identical requests handled at once all miss the cache (no record yet), yet start one job,
    // listed once. Called in one tick, so that none finds the record another one writes.
    const caller: Caller = { id: 'acme-viewer', kind: 'api-key', roles: ['viewer'], tenant: 'acme' };
    const raced = await Promise.all(
      [1, 2, 3].map(() =>
        app.get(ProjectionsService).submit({ method: 'pca', sample: { size: 40, seed: 13 } }, caller),
      ),
    );
    const racedIds = raced.map((r) => (r.kind === 'job' ? r.submitted.job.id : r.projection.id));
    expect(raced.map((r) => r.kind)).toEqual(['job', 'job', 'job']);
    expect(new Set(racedIds).size).toBe(1);
    const listedOnce = (await http(app).get('/v1/projections')).body.items as { id: string }[];
    expect(listedOnce.filter((p) => p.id === racedIds[0])).toHaveLength(1);
    expect((await http(app).get(`/v1/projections/${racedIds[0]}`)).status).toBe(200);
    await finished(racedIds[0]);
    // Deleted (or expired, or lost with a memory store at restart): the same request computes again.
    expect((await http(app).delete(`/v1/projections/${racedIds[0]}`)).status).toBe(204);
    const recomputed = await http(app).post('/v1/projections', { method: 'pca', sample: { size: 40, seed: 13 } });
    expect(recomputed.status).toBe(202);
    expect(recomputed.body.id).not.toBe(racedIds[0]);
    expect((await finished(recomputed.body.id as string)).body).toMatchObject({ status: 'succeeded' });

    await http(app).post('/v1/rag/documents', {
      id: 'space-new',
      text: text('space', 1000),
      metadata: { topic: 'space' },
    });
    const stale = await http(app).get(`/v1/projections/${first.body.id}`);
    expect(stale.body.stale).toBe(true);
    const listed = (await http(app).get('/v1/projections')).body.items as { id: string; stale: boolean }[];
    expect(listed.find((p) => p.id === first.body.id)).toMatchObject({ stale: true });
    expect(listed[0]).not.toHaveProperty('result');
    const fresh = await http(app).post('/v1/projections', body);
    expect(fresh.status).toBe(202);
    expect(fresh.body.id).not.toBe(first.body.id);
    const done = await finished(fresh.body.id);
    expect(done.body).toMatchObject({ stale: false });
    expect(done.body.result.candidates).toBe(3 * PER_TOPIC + 1);
    await finished(otherSeed.body.id);
  });

  it('should report progress per iteration and cancel a running t-SNE, ending its worker thread', async () => {
    const submit = await http(app).post('/v1/projections', {
      method: 'tsne',
      sample: { size: 300, seed: 5 },
      params: { iterations: 5_000 },
    });
    expect(submit.status).toBe(202);
    const id = submit.body.id as string;
    const running = await eventually(
      async () => {
        const res = await http(app).get(`/v1/projections/${id}`);
        return res.body.status === 'running' && res.body.progress?.stage === 'projecting' && res;
      },
      { timeoutMs: 60_000, what: 'a t-SNE iteration' },
    );
    expect(running.body.progress).toMatchObject({
      max: 5_000,
      message: expect.stringMatching(/^iteration \d+ of 5000$/),
    });
    const pool = app.get(JobWorkerPool);
    expect(pool.describe().reduce((s, p) => s + p.threads, 0)).toBeGreaterThan(0);
    expect((await http(app).delete(`/jobs/${id}`)).body).toMatchObject({ cancelRequested: true });
    const cancelled = await finished(id);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', problem: { code: 'JOBS.CANCELLED' } });
    expect(cancelled.body).not.toHaveProperty('result');
    // The pool's only thread ran the t-SNE: aborting terminated it (no idle thread lingers on).
    await eventually(() => pool.describe().every((p) => p.threads === 0), { what: 'the worker thread to end' });
    expect((await http(app).get(`/v1/projections/${id}/plot.svg`)).body).toMatchObject({
      code: 'PROJECTIONS.NOT_READY',
    });
    // The cancelled projection is not served from the cache: the same request starts a new job.
    const retry = await http(app).post('/v1/projections', {
      method: 'tsne',
      sample: { size: 300, seed: 5 },
      params: { iterations: 5_000 },
    });
    expect(retry.status).toBe(202);
    expect((await http(app).delete(`/v1/projections/${retry.body.id}`)).status).toBe(204);
    await eventually(async () => (await http(app).get(`/jobs/${retry.body.id}`)).body.state === 'cancelled', {
      timeoutMs: 30_000,
      what: 'the deleted projection job to be cancelled',
    });
    expect((await http(app).get(`/v1/projections/${retry.body.id}`)).status).toBe(404);
  });

  it('should refuse bad requests with problems, and fail a projection with too few chunks', async () => {
    const bad = async (body: object) => {
      const res = await http(app).post('/v1/projections', body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      return res.body as { code: string; detail: string };
    };
    await bad({ method: 'lda' });
    await bad({ method: 'pca', dimensions: 4 });
    await bad({ method: 'pca', sample: { size: 'many' } });
    await bad({ method: 'pca', filter: { nested: { no: 1 } } });
    expect(await bad({ method: 'umap', sample: { size: 6_000 } })).toMatchObject({
      code: 'PROJECTIONS.INVALID_REQUEST',
      detail: 'sample.size 6000 is over the cap of 5000 points for umap',
    });
    expect(await bad({ method: 'umap', params: { perplexity: 20 } })).toMatchObject({
      code: 'PROJECTIONS.INVALID_REQUEST',
    });
    expect((await http(app).get('/v1/projections/not-a-uuid')).status).toBe(400);
    expect((await http(app).get('/v1/projections/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const none = await http(app, GLOBEX).post('/v1/projections', { method: 'pca' });
    expect(none.status).toBe(202);
    const failed = await finished(none.body.id, GLOBEX);
    expect(failed.body).toMatchObject({ status: 'failed', problem: { code: 'PROJECTIONS.TOO_FEW_POINTS' } });
  });

  describe('on the PostgreSQL store', () => {
    const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
    const schema = `projections_e2e_${process.pid}`;
    let pgApp: NestExpressApplication;

    beforeAll(async () => {
      pgApp = await createTestApp({
        env: { DATABASE_URL: PG_URL, RAG_DATABASE_SCHEMA: schema },
        ...withLlmClient(new OllamaLlmClient(fake.url)),
      });
      for (const topic of ['space', 'music'] as Topic[])
        for (let i = 0; i < 15; i++)
          await http(pgApp).post('/v1/rag/documents', {
            id: `${topic}-${i}`,
            text: text(topic, i),
            metadata: { topic },
          });
    });
    afterAll(async () => {
      await pgApp.close();
      const client = new Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });

    it('should project the chunks stored in PostgreSQL, filtered, cached and marked stale on change', async () => {
      const body = { method: 'pca', sample: { size: 100, seed: 2 }, params: { clusters: 2 } };
      const submit = await http(pgApp).post('/v1/projections', body);
      expect(submit.status).toBe(202);
      const { body: done } = await finished(submit.body.id, ACME, pgApp);
      expect(done.result.candidates).toBe(30);
      const points = done.result.points as Point[];
      expect(points).toHaveLength(30);
      for (const c of done.result.clusters as { id: number }[]) {
        const members = points.filter((p) => p.cluster === c.id);
        expect(new Set(members.map(topicOf)).size).toBe(1);
      }
      const filtered = await http(pgApp).post('/v1/projections', { ...body, filter: { topic: 'music' } });
      expect((await finished(filtered.body.id, ACME, pgApp)).body.result.candidates).toBe(15);
      expect((await http(pgApp).post('/v1/projections', body)).body).toMatchObject({
        id: submit.body.id,
        cached: true,
      });
      await http(pgApp).delete('/v1/rag/documents/space-0');
      expect((await http(pgApp).get(`/v1/projections/${submit.body.id}`)).body.stale).toBe(true);
    });
  });
});
