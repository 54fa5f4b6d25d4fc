import type { NestExpressApplication } from '@nestjs/platform-express';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { ErrorProbeController } from './fixtures/error-probe.controller';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

const PROBLEM = /^application\/problem\+json/;
const ADMIN = bearer(TEST_AUTH.admin);
const DEEP = '['.repeat(2000);
const MANY_KEYS = `{${Array.from({ length: 20_001 }, (_, i) => `"k${i}":1`).join(',')}}`;
/** What the tests read of an answer, from supertest or node:http. */
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

const CHAT = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] };

/**
 * Request bodies of every kind on every surface: JSON sent without a JSON content type, no body,
 * `null`, over-deep or over-wide JSON. Never a 500; each surface answers in its own dialect.
 */
describe('Request bodies (e2e)', () => {
  let fake: FakeOllama;
  let app: NestExpressApplication;
  let port: number;

  beforeAll(async () => {
    fake = await FakeOllama.start();
    app = await createTestApp({
      extra: { controllers: [ErrorProbeController] },
      env: {
        OLLAMA_URLS: fake.url,
        LLM_HEALTH_INTERVAL_MS: '300000',
        LLM_CHAT_PER_MINUTE: '10000',
        LLM_EMBED_PER_MINUTE: '10000',
        LLM_STREAMS_PER_MINUTE: '10000',
      },
    });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  beforeEach(() => fake.reset());
  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  const http = () => request(app.getHttpServer());
  /** A raw body with exactly the given Content-Type (none when undefined), as curl and others send it. */
  const post = (path: string, body: string | undefined, contentType?: string): Promise<Answer> => {
    if (body !== undefined && contentType === undefined) return postWithoutContentType(path, body);
    const req = http().post(path).set('authorization', ADMIN);
    if (contentType !== undefined) req.set('content-type', contentType);
    return body === undefined ? req : req.send(body);
  };
  /** superagent gives every string body a Content-Type; node:http sends only the headers given. */
  const postWithoutContentType = (path: string, body: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: { authorization: ADMIN, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const type = res.headers['content-type'] ?? '';
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              body: /json/.test(type) && !/ndjson/.test(type) ? JSON.parse(text) : {},
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const expectProblem = (res: Answer, status: number, code: string) => {
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(PROBLEM);
  };

  describe('native routes', () => {
    it.each([
      ['form-urlencoded', 'application/x-www-form-urlencoded', 'as application/x-www-form-urlencoded'],
      ['text/plain', 'text/plain', 'as text/plain'],
      ['no content type', undefined, 'without a Content-Type'],
      // File media types are left unread for routes that stream them (uploads); JSON routes say 415.
      ['multipart', 'multipart/form-data; boundary=x', 'as multipart/form-data'],
      ['octet-stream', 'application/octet-stream', 'as application/octet-stream'],
    ])('should answer a JSON body sent as %s with 415 naming the accepted types', async (_n, type, sent) => {
      for (const path of ['/probe/orders', '/v1/summaries', '/v1/rag/documents', '/v1/llm/chat']) {
        const res = await post(path, JSON.stringify({ text: 'Hello there.', kind: 'a', items: [] }), type);
        expectProblem(res, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
        expect(res.body.detail).toBe(
          `Request body was sent ${sent}; this route takes application/json or application/*+json`,
        );
      }
    });

    it('should take application/*+json types', async () => {
      const res = await post('/probe/orders', JSON.stringify({ kind: 'a', items: [] }), 'application/vnd.acme+json');
      expect(res.status).toBe(201);
    });

    it('should say that a null (or array, or scalar) body is not a JSON object', async () => {
      for (const [body, what] of [
        ['null', 'null'],
        ['[1,2]', 'an array'],
        ['"text"', 'a string'],
        ['42', 'a number'],
      ]) {
        const res = await post('/v1/summaries', body, 'application/json');
        expectProblem(res, 400, 'REQUEST.MALFORMED_BODY');
        expect(res.body.detail).toBe(`Request body must be a JSON object, not ${what}`);
      }
    });

    it('should validate a missing body as {} and name the missing fields', async () => {
      const res = await post('/v1/summaries', undefined);
      expectProblem(res, 400, 'VALIDATION.FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['text']);
      // A route whose fields are all optional takes no body at all.
      const maintenance = await http().put('/health/services/summarization/maintenance').set('authorization', ADMIN);
      expect(maintenance.status).toBe(200);
      await http().delete('/health/services/summarization/maintenance').set('authorization', ADMIN).expect(200);
    });

    it.each(['/probe/orders', '/v1/summaries', '/v1/rag/documents', '/v1/rag/search', '/v1/llm/chat'])(
      'should answer 2,000 levels of nesting and 20,001 keys on %s with 400 before any DTO transformation',
      async (path) => {
        const deep = await post(path, DEEP, 'application/json');
        expectProblem(deep, 400, 'REQUEST.BODY_TOO_COMPLEX');
        expect(deep.body.detail).toBe('Request body nests deeper than 64 levels');
        const wide = await post(path, MANY_KEYS, 'application/json');
        expectProblem(wide, 400, 'REQUEST.BODY_TOO_COMPLEX');
        expect(wide.body.detail).toBe('Request body has more than 10000 keys');
      },
    );

    it('should take nesting up to the bound', async () => {
      const nested = `{"kind":"a","items":[],"pad":${'['.repeat(62)}${']'.repeat(62)}}`;
      const res = await post('/probe/orders', nested, 'application/json');
      // Past the parser: the DTO refuses the unknown field, by name.
      expectProblem(res, 400, 'VALIDATION.FAILED');
      expect(res.body.errors).toEqual([{ field: 'pad', message: 'property pad should not exist' }]);
    });

    it('should run no route for a client that goes away in the middle of its body', async () => {
      const aborted = async () => {
        const text = (await http().get('/metrics')).text;
        const line =
          /fennec_http_errors_total\{code="REQUEST.MALFORMED_BODY",route="<unmatched>",status_code="400"\} (\d+)/.exec(
            text,
          );
        return Number(line?.[1] ?? 0);
      };
      const before = { touches: ErrorProbeController.touches, aborted: await aborted() };
      let arrived = false;
      const seen = (req: IncomingMessage) => (arrived ||= req.url === '/probe/touch');
      app.getHttpServer().on('request', seen);
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write(
        'POST /probe/touch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
      );
      await eventually(() => arrived, { what: 'the request reaching the server' });
      socket.destroy();
      await eventually(async () => (await aborted()) > before.aborted, { what: 'the abort being answered' });
      app.getHttpServer().off('request', seen);
      expect(ErrorProbeController.touches).toBe(before.touches);
      // The route itself works.
      await http().post('/probe/touch').expect(201);
      expect(ErrorProbeController.touches).toBe(before.touches + 1);
    });

    it('should report a wrong type alone', async () => {
      const res = await post(
        '/v1/summaries',
        JSON.stringify({ text: 'Hi there.', maxSentences: 'three' }),
        'application/json',
      );
      expectProblem(res, 400, 'VALIDATION.FAILED');
      expect(res.body.errors).toEqual([{ field: 'maxSentences', message: 'maxSentences must be an integer number' }]);
    });
  });

  describe('Ollama-compatible surface', () => {
    it('should stream a chat sent as curl -d sends it (form-urlencoded), as Ollama reads any body as JSON', async () => {
      for (const type of ['application/x-www-form-urlencoded', 'text/plain', undefined]) {
        const res = await post('/ollama/api/chat', JSON.stringify(CHAT), type);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toBe('application/x-ndjson');
        const lines = res.text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { done: boolean });
        expect(lines.at(-1)?.done).toBe(true);
        expect(lines.length).toBeGreaterThan(1);
      }
    });

    it.each(['chat', 'generate', 'show', 'embed'])(
      'should answer /ollama/api/%s without a body with 400 "model is required", not the default model',
      async (op) => {
        const res = await post(`/ollama/api/${op}`, undefined);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: 'model is required', code: 'VALIDATION.FAILED' });
        expect(fake.requests.filter((r) => r.path !== '/api/version' && r.path !== '/api/tags')).toEqual([]);
      },
    );

    it('should answer /ollama/api/show naming no model with 400, not the default model', async () => {
      const res = await post('/ollama/api/show', '{}', 'application/json');
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('model is required');
    });

    it.each([
      ['not JSON', '{"model": nope', 'application/json', 'REQUEST.MALFORMED_BODY'],
      ['form fields', 'model=llama3.2:3b&prompt=hi', 'application/x-www-form-urlencoded', 'REQUEST.MALFORMED_BODY'],
      ['null', 'null', 'application/json', 'REQUEST.MALFORMED_BODY'],
      ['a JSON string', '"hi"', 'text/plain', 'REQUEST.MALFORMED_BODY'],
      ['too deep', DEEP, undefined, 'REQUEST.BODY_TOO_COMPLEX'],
    ])('should answer a body that is %s with 400 in Ollama\'s {"error"}', async (_n, body, type, code) => {
      for (const op of ['chat', 'generate', 'show', 'embed']) {
        const res = await post(`/ollama/api/${op}`, body, type);
        expect({ op, status: res.status, code: res.body.code }).toEqual({ op, status: 400, code });
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(typeof res.body.error).toBe('string');
      }
    });
  });

  describe('errors raised before a drop-in route runs', () => {
    it('should answer an unknown path under /ollama in Ollama\'s {"error"}', async () => {
      const res = await http().post('/ollama/api/pull').set('authorization', ADMIN).send({ model: 'x' });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ error: expect.any(String), code: 'ROUTE.NOT_FOUND' });
    });

    it("should answer an undecodable model name in OpenAI's error object", async () => {
      const res = await http().get('/v1/models/%E0%A4%A').set('authorization', ADMIN);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code: 'REQUEST.INVALID', param: null });
    });

    it('should keep problem+json for the same error on a native route', async () => {
      const res = await http().get('/v1/rag/documents/%E0%A4%A').set('authorization', ADMIN);
      expectProblem(res, 400, 'REQUEST.INVALID');
    });
  });

  describe('OpenAI-compatible surface', () => {
    it('should take a chat completion whatever the content type', async () => {
      const res = await post('/v1/chat/completions', JSON.stringify(CHAT), 'text/plain');
      expect(res.status).toBe(200);
      expect(res.body.object).toBe('chat.completion');
    });

    it.each([
      ['no body', undefined, undefined, 'VALIDATION.FAILED'],
      ['not JSON', '{"model":', 'application/json', 'REQUEST.MALFORMED_BODY'],
      ['form fields', 'model=x&input=y', 'application/x-www-form-urlencoded', 'REQUEST.MALFORMED_BODY'],
      ['null', 'null', 'application/json', 'REQUEST.MALFORMED_BODY'],
      ['too deep', DEEP, 'application/json', 'REQUEST.BODY_TOO_COMPLEX'],
    ])("should answer a body that is %s with 400 in OpenAI's error object", async (_n, body, type, code) => {
      for (const path of ['/v1/chat/completions', '/v1/embeddings']) {
        const res = await post(path, body, type);
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(res.body.error).toMatchObject({ type: 'invalid_request_error', code });
        expect(typeof res.body.error.message).toBe('string');
        expect(res.body.error).toHaveProperty('param');
      }
    });
  });
});
