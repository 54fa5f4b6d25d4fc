import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { activeTracer, flushTracing } from '../src/platform/tracing';
import { FakeOllama } from './fixtures/fake-ollama';
import { type CollectedSpan, FakeOtlpCollector } from './fixtures/otlp-collector';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { LogCapture } from './support/log-capture';
import { bearer, TEST_AUTH } from './support/test-credentials';

const AUTH = bearer(TEST_AUTH.viewer);
const ADMIN = bearer(TEST_AUTH.admin);
const SERVER = 2;
const CLIENT = 3;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const chat = (app: NestExpressApplication, headers: Record<string, string> = {}) =>
  request(app.getHttpServer())
    .post('/v1/llm/chat')
    .set({ authorization: AUTH, ...headers })
    .send({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Tell me about foxes' }] });

describe('OpenTelemetry tracing (e2e)', () => {
  let collector: FakeOtlpCollector;
  let fake: FakeOllama;

  beforeAll(async () => {
    collector = await FakeOtlpCollector.start();
    fake = await FakeOllama.start();
  });
  afterEach(() => {
    collector.reset();
    fake.reset();
  });
  afterAll(async () => {
    await fake.close();
    await collector.close();
  });

  const llmEnv = () => ({
    OLLAMA_URLS: fake.url,
    LLM_HEALTH_INTERVAL_MS: '300000',
    LLM_CHAT_PER_MINUTE: '100000',
  });

  describe('with an OTLP endpoint set', () => {
    let app: NestExpressApplication;
    const logs = new LogCapture();

    beforeAll(async () => {
      app = await createTestApp({
        logStream: logs,
        env: {
          ...llmEnv(),
          LOG_LEVEL: 'info',
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_SERVICE_NAME: 'fennec-e2e',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e',
          OTEL_BSP_SCHEDULE_DELAY: '50',
        },
      });
    });
    afterAll(async () => {
      await app.close();
    });

    it('should continue an incoming trace through the gateway, the pool and the client call, and send traceparent upstream', async () => {
      const traceId = hex(16);
      const parentId = hex(8);
      const res = await chat(app, { traceparent: `00-${traceId}-${parentId}-01` });
      expect(res.status).toBe(200);
      await flushTracing();
      const spans = await eventually(
        () => {
          const t = collector.trace(traceId);
          return t.some((s) => s.kind === CLIENT && s.attributes['fennec.upstream.pool'] === 'ollama') &&
            t.some((s) => s.kind === SERVER)
            ? t
            : undefined;
        },
        { what: 'the chat trace at the collector' },
      );
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const parentOf = (s: CollectedSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

      const server = spans.find((s) => s.kind === SERVER)!;
      expect(server).toMatchObject({
        name: 'POST /v1/llm/chat',
        parentSpanId: parentId,
        attributes: { 'http.request.method': 'POST', 'http.route': '/v1/llm/chat', 'http.response.status_code': 200 },
      });
      expect(server.attributes['fennec.tenant']).toEqual(expect.any(String));
      expect(server.resource).toMatchObject({ 'service.name': 'fennec-e2e', 'deployment.environment.name': 'e2e' });
      // Never the body or credentials.
      expect(JSON.stringify(server.attributes)).not.toMatch(/foxes|Bearer/);

      const genAi = spans.find((s) => s.name === 'chat llama3.2:3b')!;
      expect(parentOf(genAi)).toBe(server);
      expect(genAi.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'ollama',
        'gen_ai.request.model': 'llama3.2:3b',
        'gen_ai.usage.output_tokens': 10,
      });
      expect(genAi.attributes['gen_ai.usage.input_tokens']).toEqual(expect.any(Number));

      const pool = spans.find((s) => s.name === 'upstream ollama')!;
      expect(parentOf(pool)).toBe(genAi);
      expect(pool.attributes).toMatchObject({ 'fennec.upstream.pool': 'ollama', 'fennec.upstream.attempts': 1 });

      const client = spans.find((s) => s.kind === CLIENT && s.name === 'POST')!;
      expect(parentOf(client)).toBe(pool);
      expect(client.attributes).toMatchObject({
        'fennec.upstream.pool': 'ollama',
        'fennec.upstream.attempt': 1,
        'fennec.upstream.breaker_state': 'closed',
        'http.response.status_code': 200,
        'server.address': '127.0.0.1',
      });
      expect(client.attributes['url.full']).toBe(`${fake.url}/api/chat`);

      // The upstream got this client span as its parent.
      expect(fake.requests.at(-1)).toMatchObject({
        path: '/api/chat',
        traceparent: `00-${traceId}-${client.spanId}-01`,
      });
    });

    it('should make an SSE answer a span that ends with the stream, inside the request’s span', async () => {
      const traceId = hex(16);
      const res = await request(app.getHttpServer())
        .post('/v1/llm/chat')
        .set({ authorization: AUTH, traceparent: `00-${traceId}-${hex(8)}-01` })
        .send({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'a b c' }], stream: true })
        .buffer(true)
        .parse((r, done) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => done(null, text));
        });
      expect(res.status).toBe(200);
      await flushTracing();
      const spans = await eventually(
        () => {
          const t = collector.trace(traceId);
          return t.some((s) => s.name === 'sse stream') && t.some((s) => s.kind === SERVER) ? t : undefined;
        },
        { what: 'the stream span' },
      );
      const server = spans.find((s) => s.kind === SERVER)!;
      const stream = spans.find((s) => s.name === 'sse stream')!;
      expect(stream.parentSpanId).toBe(server.spanId);
      expect(stream.attributes).toMatchObject({ 'fennec.stream.protocol': 'sse', 'fennec.stream.end_reason': 'done' });
      const genAi = spans.find((s) => s.name === 'chat llama3.2:3b')!;
      expect(genAi.attributes['gen_ai.usage.output_tokens']).toEqual(expect.any(Number));
    });

    it('should put trace_id and span_id on the request lines while requestId stays', async () => {
      const traceId = hex(16);
      const res = await chat(app, { traceparent: `00-${traceId}-${hex(8)}-01`, 'x-request-id': 'trace-log-1' });
      expect(res.status).toBe(200);
      const line = await eventually(() => logs.forRequest('trace-log-1').find((l) => l.msg === 'request completed'), {
        what: 'the completion line',
      });
      expect(line).toMatchObject({ trace_id: traceId, span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
      // Problem bodies keep their requestId.
      const bad = await request(app.getHttpServer())
        .post('/v1/llm/chat')
        .set({ authorization: AUTH, traceparent: `00-${hex(16)}-${hex(8)}-01`, 'x-request-id': 'trace-problem-1' })
        .send({ messages: 'nope' });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ requestId: 'trace-problem-1' });
    });

    it('should carry an unsampled trace to the upstream without exporting it or putting its ids on the log lines', async () => {
      const traceId = hex(16);
      const res = await chat(app, { traceparent: `00-${traceId}-${hex(8)}-00`, 'x-request-id': 'unsampled-1' });
      expect(res.status).toBe(200);
      // The caller's decision travels on (flags 00) through the one AsyncLocalStorage both contexts share.
      expect(fake.requests.at(-1)?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
      const line = await eventually(() => logs.forRequest('unsampled-1').find((l) => l.msg === 'request completed'), {
        what: 'the completion line',
      });
      expect(line.trace_id).toBeUndefined();
      expect(line.requestId).toBe('unsampled-1');
      await flushTracing();
      expect(collector.trace(traceId)).toEqual([]);
    });

    it('should serve OpenMetrics with trace ids as exemplars on the request duration histogram', async () => {
      const traceId = hex(16);
      await chat(app, { traceparent: `00-${traceId}-${hex(8)}-01` });
      const res = await request(app.getHttpServer()).get('/metrics').set('authorization', ADMIN);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/openmetrics-text/);
      const exemplars = res.text
        .split('\n')
        .filter(
          (l) => l.startsWith('http_server_request_duration_seconds_bucket') && l.includes('route="/v1/llm/chat"'),
        )
        .filter((l) => l.includes(' # {'));
      expect(exemplars.some((l) => l.includes(`trace_id="${traceId}"`))).toBe(true);
    });

    it('should record the registry start of each service at boot', async () => {
      // Boot spans were exported during the first tests' flushes, before this reset: boot a second
      // instance of the process and look at its start spans.
      const second = await createTestApp({
        env: {
          ...llmEnv(),
          LOG_LEVEL: 'silent',
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_BSP_SCHEDULE_DELAY: '50',
        },
      });
      try {
        await flushTracing();
        const starts = await eventually(
          () => {
            const s = collector.spans.filter((x) => x.name.startsWith('registry.start '));
            return s.some((x) => x.name === 'registry.start llm') ? s : undefined;
          },
          { what: 'registry start spans' },
        );
        expect(starts.map((s) => s.attributes['fennec.service'])).toEqual(expect.arrayContaining(['jobs', 'llm']));
      } finally {
        await second.close();
      }
    });
  });

  describe('with a sampling ratio', () => {
    let app: NestExpressApplication;

    beforeAll(async () => {
      app = await createTestApp({
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.25',
          OTEL_BSP_SCHEDULE_DELAY: '50',
        },
      });
    });
    afterAll(async () => {
      await app.close();
    });

    it('should sample new traces at the configured ratio and follow the caller’s decision', async () => {
      const N = 400;
      for (let i = 0; i < N; i++) {
        const res = await request(app.getHttpServer()).get('/health/live');
        expect(res.status).toBe(200);
      }
      // A caller that sampled its trace is followed whatever the ratio (parent-based).
      const sampledByCaller = hex(16);
      await request(app.getHttpServer())
        .get('/health/live')
        .set('traceparent', `00-${sampledByCaller}-${hex(8)}-01`);
      await flushTracing();
      await eventually(() => collector.trace(sampledByCaller).length > 0, { what: 'the caller-sampled trace' });
      const roots = collector.spans.filter(
        (s) => s.kind === SERVER && s.name === 'GET /health/live' && !s.parentSpanId,
      );
      const ratio = roots.length / N;
      // Binomial(400, 0.25): sd ≈ 0.022; ±0.1 is more than 4 sd.
      expect(ratio).toBeGreaterThan(0.15);
      expect(ratio).toBeLessThan(0.35);
    });
  });

  describe('with no OTLP endpoint (the default)', () => {
    let app: NestExpressApplication;
    const logs = new LogCapture();

    beforeAll(async () => {
      app = await createTestApp({ logStream: logs, env: { ...llmEnv(), LOG_LEVEL: 'info' } });
      // The traced apps before this one flushed their last spans while closing.
      collector.reset();
    });
    afterAll(async () => {
      await app.close();
    });

    it('should create no tracer, send nothing to a collector and no traceparent upstream', async () => {
      expect(activeTracer()).toBeUndefined();
      const res = await chat(app, { traceparent: `00-${hex(16)}-${hex(8)}-01`, 'x-request-id': 'untraced-1' });
      expect(res.status).toBe(200);
      expect(fake.requests.at(-1)?.path).toBe('/api/chat');
      expect(fake.requests.at(-1)?.traceparent).toBeUndefined();
      const line = await eventually(() => logs.forRequest('untraced-1').find((l) => l.msg === 'request completed'), {
        what: 'the completion line',
      });
      expect(line.trace_id).toBeUndefined();
      const metrics = await request(app.getHttpServer()).get('/metrics').set('authorization', ADMIN);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      await flushTracing();
      expect(collector.requests).toBe(0);
      expect(collector.spans).toHaveLength(0);
    });
  });
});
