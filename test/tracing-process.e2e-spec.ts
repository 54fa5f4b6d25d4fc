import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { FakeOtlpCollector } from './fixtures/otlp-collector';
import { eventually } from './support/eventually';
import { type SpawnedApp, spawnApp, waitForHttp } from './support/spawn-app';
import { bearer, TEST_AUTH, testAuthEnv } from './support/test-credentials';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLIENT = 3;

/**
 * The Redis and PostgreSQL spans come from the official instrumentations, which patch the client
 * modules through Node's own require hook: Jest's module loader bypasses it, so this runs the
 * real server as a child process.
 */
describe('Tracing Redis and PostgreSQL commands in a real process (e2e)', () => {
  const schema = `tracing_e2e_${process.pid}_${Date.now().toString(36)}`;
  let collector: FakeOtlpCollector;
  let app: SpawnedApp;

  beforeAll(async () => {
    collector = await FakeOtlpCollector.start();
    app = await spawnApp({
      ...testAuthEnv(),
      LOG_LEVEL: 'warn',
      REDIS_URL: 'redis://127.0.0.1:6379',
      STATE_KEY_PREFIX: `fennec-test:${randomUUID()}:`,
      DATABASE_URL: PG_URL,
      RAG_DATABASE_SCHEMA: schema,
      IMAGES_DATABASE_SCHEMA: `${schema}_images`,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    await waitForHttp(`${app.baseUrl}/health/live`);
    await eventually(async () => (await fetch(`${app.baseUrl}/health/ready`)).status === 200, {
      timeoutMs: 30_000,
      what: 'the spawned app to be ready',
    });
  }, 60_000);

  afterAll(async () => {
    if (app.child.exitCode === null) app.child.kill('SIGTERM');
    await app.exited;
    await collector.close();
    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_images CASCADE`);
    await client.end();
  }, 30_000);

  it('should put the request’s Redis (rate limit) and PostgreSQL (documents) commands in its trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${app.baseUrl}/v1/rag/documents`, {
      headers: {
        authorization: bearer(TEST_AUTH.viewer),
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    });
    expect(res.status).toBe(200);
    const spans = await eventually(
      () => {
        const t = collector.trace(traceId);
        const system = (s: (typeof t)[number]) => s.attributes['db.system'] ?? s.attributes['db.system.name'];
        // The server span ends after the response, so it may come in a later export than the commands'.
        const complete =
          t.some((s) => system(s) === 'redis') &&
          t.some((s) => system(s) === 'postgresql') &&
          t.some((s) => s.name === 'GET /v1/rag/documents');
        return complete ? t : undefined;
      },
      { timeoutMs: 15_000, what: 'the server span and Redis and PostgreSQL spans in the request’s trace' },
    );
    const server = spans.find((s) => s.name === 'GET /v1/rag/documents')!;
    expect(server).toBeDefined();
    const db = spans.filter((s) => s.kind === CLIENT && s.attributes['fennec.upstream.pool'] === undefined);
    expect(db.length).toBeGreaterThanOrEqual(2);
    // Every database span sits inside the request's trace, under its server span or below.
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of db) expect(ids.has(s.parentSpanId!)).toBe(true);
  }, 30_000);
});
