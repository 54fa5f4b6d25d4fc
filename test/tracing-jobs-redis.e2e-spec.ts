import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flushTracing } from '../src/platform/tracing';
import { JobFixturesModule } from './fixtures/jobs/job-fixtures.module';
import { FakeOtlpCollector } from './fixtures/otlp-collector';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { TEST_KEYS } from './support/test-credentials';

const operator = TEST_KEYS.acme.operator.key;
const admin = TEST_KEYS.acme.admin.key;
const SERVER = 2;
const CONSUMER = 5;

interface Job {
  id: string;
  state: string;
  runningOn?: string;
}

describe('Tracing a job across instances sharing Redis (e2e, BullMQ backend)', () => {
  const prefix = `fennec-test:${randomUUID()}:`;
  let dataDir: string;
  let collector: FakeOtlpCollector;
  const apps: NestExpressApplication[] = [];

  const api = (base: string, method: string, path: string, opts: { key?: string; headers?: object; body?: unknown }) =>
    fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${opts.key ?? operator}`,
        'content-type': 'application/json',
        ...opts.headers,
      },
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });

  async function start(name: string): Promise<[NestExpressApplication, string]> {
    const app = await createTestApp({
      extra: { imports: [JobFixturesModule] },
      env: {
        REDIS_URL: 'redis://127.0.0.1:6379',
        STATE_KEY_PREFIX: prefix,
        DATA_DIR: mkdtempSync(join(dataDir, `${name}-`)),
        JOBS_DRAIN_TIMEOUT_MS: '200',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
    });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return [app, `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`];
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-tracing-jobs-'));
    collector = await FakeOtlpCollector.start();
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await collector.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('should run a job submitted on instance A on instance B inside the submitter’s trace', async () => {
    const [a, baseA] = await start('a');
    // Paused cluster-wide, so A only stores the job; B, started after A is gone, runs it.
    expect((await api(baseA, 'POST', '/jobs/kinds/test.echo/pause', { key: admin })).status).toBe(200);
    const traceId = randomBytes(16).toString('hex');
    const submitted = await api(baseA, 'POST', '/test-jobs/test.echo', {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      body: { steps: 2, delayMs: 10 },
    });
    expect(submitted.status).toBe(202);
    const job = (await submitted.json()) as Job;
    await a.close();

    const [, baseB] = await start('b');
    expect((await api(baseB, 'POST', '/jobs/kinds/test.echo/resume', { key: admin })).status).toBe(200);
    const done = await eventually(
      async () => {
        const j = (await (await api(baseB, 'GET', `/jobs/${job.id}`, {})).json()) as Job;
        return j.state === 'succeeded' ? j : undefined;
      },
      { timeoutMs: 15_000, what: 'the job to succeed on B' },
    );
    expect(done.runningOn).toBeDefined();
    await flushTracing();

    const spans = await eventually(
      () => {
        const t = collector.trace(traceId);
        return t.some((s) => s.kind === CONSUMER) ? t : undefined;
      },
      { what: 'the job span in the submitter’s trace' },
    );
    const submit = spans.find((s) => s.kind === SERVER && s.name === 'POST /test-jobs/:kind')!;
    const run = spans.find((s) => s.kind === CONSUMER)!;
    expect(run).toMatchObject({
      name: 'job test.echo',
      parentSpanId: submit.spanId,
      attributes: { 'fennec.job.id': job.id, 'fennec.job.kind': 'test.echo', 'fennec.job.attempt': 1 },
    });
    // Another process's SDK would show another service.instance.id; here both instances share the
    // process, so the instance is told apart by the record: B ran it after A had closed.
    expect(apps).toHaveLength(2);
  }, 60_000);
});
