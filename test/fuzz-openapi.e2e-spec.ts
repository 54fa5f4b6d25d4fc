import type { OpenAPIObject } from '@nestjs/swagger';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeOllama } from './fixtures/fake-ollama';
import { spawnApp, type SpawnedApp, waitForHttp } from './support/spawn-app';
import { bearer, TEST_AUTH, testAuthEnv } from './support/test-credentials';

/**
 * A spec-driven fuzzer: every operation of the live OpenAPI document (`/docs-json`) of the real
 * server, run as its own process against the fake Ollama, gets malformed bodies in every content
 * type, malformed path, query and header parameters, and bodies built from its own request
 * schema with one field of the wrong type, all with valid admin credentials. Every answer must
 * be below 500 (a 503 only where the operation documents one), every error in its surface's
 * dialect, and the process must still serve afterwards.
 *
 * Deterministic: the random choices come from a seeded generator (`FUZZ_SEED` to try another
 * seed; a failure message names the seed and the request). Bounded: a fixed number of requests
 * per operation, one at a time.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const RANDOM_BODIES_PER_OPERATION = 8;
const VALUES_PER_PARAMETER = 6;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** mulberry32: a small, well-distributed seeded generator (reproducible runs). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTENT_TYPES: (string | undefined)[] = [
  'application/json',
  'application/merge-patch+json',
  'application/json; charset=utf-8',
  'application/json; charset=klingon',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'text/plain',
  'application/octet-stream',
  'x/;;;==',
  undefined,
];

const MALFORMED_BODIES: (string | Buffer)[] = [
  '',
  ' ',
  'null',
  'true',
  '42',
  '"a string"',
  '[]',
  '[1,{"a":null}]',
  '{',
  '{"a":',
  '{"a":1,}',
  "{'a':1}",
  'nope',
  'a=1&b=2&b=3',
  '\u0000\u0001',
  Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x00]),
  '['.repeat(2000),
  '{"a":'.repeat(500) + '1' + '}'.repeat(500),
  `{${Array.from({ length: 12_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  '{"model":{"$gt":""},"messages":"<script>alert(1)</script>"}',
];

/** Values of the wrong type (or out of any sensible range) for a body field or parameter. */
const WRONG_VALUES: unknown[] = [
  null,
  'three',
  '',
  -1,
  0,
  1e308,
  1.5,
  true,
  [],
  [null],
  {},
  { nested: { deeper: [1, 'x'] } },
  'x'.repeat(5000),
  '<script>alert(1)</script>',
  '../../etc/passwd',
  "' OR 1=1 --",
];

const PARAMETER_VALUES = [
  '',
  '%20',
  '-1',
  '0',
  '1e999',
  'NaN',
  'abc',
  '%00',
  '%E0%A4%A',
  '..%2F..%2Fetc%2Fpasswd',
  '%3Cscript%3E',
  '%F0%9F%92%A5',
  'a'.repeat(600),
  '9'.repeat(40),
];

/** A path parameter's value that names something that exists, so other checks are reached. */
const KNOWN_PATH_VALUES: Record<string, string> = {
  name: 'summarization',
  service: 'summarization',
  id: 'fuzz-doc',
  model: 'llama3.2:3b',
};

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  example?: unknown;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
};
type Parameter = { name: string; in: 'path' | 'query' | 'header'; schema?: Schema };
type Operation = {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, unknown>;
};

interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Which error dialect a path speaks. */
function surfaceOf(path: string): 'ollama' | 'openai' | 'native' {
  if (path === '/ollama' || path.startsWith('/ollama/')) return 'ollama';
  if (/^\/v1\/(chat\/completions|embeddings|models|audio|images\/generations)(\/|$)/.test(path)) return 'openai';
  return 'native';
}

describe('OpenAPI-driven fuzzing (e2e)', () => {
  let fake: FakeOllama;
  let app: SpawnedApp;
  let doc: OpenAPIObject;
  let dataDir: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    fake = await FakeOllama.start();
    dataDir = mkdtempSync(join(tmpdir(), 'fennec-fuzz-'));
    app = await spawnApp({
      ...testAuthEnv(),
      LOG_LEVEL: 'warn',
      OLLAMA_URLS: fake.url,
      REDIS_URL: '',
      DATA_DIR: dataDir,
      RAG_FSYNC: 'false',
      THROTTLE_BURST_LIMIT: '100000',
      THROTTLE_SUSTAINED_LIMIT: '1000000',
      LLM_CHAT_PER_MINUTE: '100000',
      LLM_EMBED_PER_MINUTE: '100000',
      LLM_STREAMS_PER_MINUTE: '100000',
    });
    await waitForHttp(`${app.baseUrl}/health/live`);
    const res = await send({ method: 'GET', path: '/docs-json', headers: {} });
    expect(res.status).toBe(200);
    doc = JSON.parse(res.text) as OpenAPIObject;
  }, 60_000);

  afterAll(async () => {
    agent.destroy();
    app?.child.kill('SIGTERM');
    await app?.exited;
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function send(probe: Probe): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...probe.headers };
      if (probe.body !== undefined) headers['content-length'] = Buffer.byteLength(probe.body);
      const req = httpRequest(
        { host: '127.0.0.1', port: app.port, method: probe.method, path: probe.path, headers, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error(`no answer within 10 s: ${probe.method} ${probe.path}`)));
      req.on('error', reject);
      req.end(probe.body);
    });
  }

  const resolveRef = (schema: Schema | undefined): Schema | undefined => {
    if (!schema?.$ref) return schema;
    const name = schema.$ref.split('/').at(-1)!;
    return resolveRef(doc.components?.schemas?.[name] as Schema | undefined);
  };

  /** A value that fits the schema as far as it says (examples first), to mutate one field of. */
  const exampleOf = (raw: Schema | undefined, depth = 0): unknown => {
    const schema = resolveRef(raw);
    if (!schema || depth > 6) return {};
    if (schema.example !== undefined) return structuredClone(schema.example);
    if (schema.enum?.length) return schema.enum[0];
    const variant = schema.allOf?.[0] ?? schema.oneOf?.[0] ?? schema.anyOf?.[0];
    if (variant) return exampleOf(variant, depth + 1);
    switch (schema.type) {
      case 'string':
        return 'fuzz text.';
      case 'integer':
        return 1;
      case 'number':
        return 0.5;
      case 'boolean':
        return false;
      case 'array':
        return [exampleOf(schema.items, depth + 1)];
      case 'object':
      case undefined:
      default:
        return Object.fromEntries(
          Object.entries(schema.properties ?? {}).map(([k, v]) => [k, exampleOf(v, depth + 1)]),
        );
    }
  };

  /** Every probe for one operation: malformed bodies, content types, schema mutations, parameters. */
  function probesFor(path: string, method: string, op: Operation, random: () => number): Probe[] {
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const params = op.parameters ?? [];
    const base = (overrides: Record<string, string> = {}): { path: string; headers: Record<string, string> } => {
      let url = path.replace(
        /\{(\w+)\}/g,
        (_m, name: string) => overrides[`path:${name}`] ?? KNOWN_PATH_VALUES[name] ?? 'x',
      );
      const query = params
        .filter((p) => p.in === 'query' && overrides[`query:${p.name}`] !== undefined)
        .map((p) => `${encodeURIComponent(p.name)}=${overrides[`query:${p.name}`]}`);
      if (query.length) url += `?${query.join('&')}`;
      const headers: Record<string, string> = { authorization: bearer(TEST_AUTH.admin) };
      for (const p of params.filter((q) => q.in === 'header' && overrides[`header:${q.name}`] !== undefined)) {
        headers[p.name.toLowerCase()] = overrides[`header:${p.name}`];
      }
      return { path: url, headers };
    };
    const withBody = (body: string | Buffer | undefined, contentType: string | undefined, overrides = {}): Probe => {
      const b = base(overrides);
      if (contentType !== undefined) b.headers['content-type'] = contentType;
      return { method: method.toUpperCase(), ...b, body };
    };

    const probes: Probe[] = [withBody(undefined, undefined)];
    const schema = Object.values(op.requestBody?.content ?? {})[0]?.schema;
    if (op.requestBody) {
      for (const body of MALFORMED_BODIES) probes.push(withBody(body, 'application/json'));
      const example = exampleOf(schema);
      for (const type of CONTENT_TYPES) probes.push(withBody(JSON.stringify(example), type));
      const fields =
        typeof example === 'object' && example !== null && !Array.isArray(example) ? Object.keys(example) : [];
      for (let i = 0; i < RANDOM_BODIES_PER_OPERATION; i++) {
        const mutated = { ...(example as Record<string, unknown>) };
        if (fields.length > 0 && random() < 0.8) mutated[pick(fields)] = pick(WRONG_VALUES);
        else mutated[`unknown${i}`] = pick(WRONG_VALUES);
        if (fields.length > 0 && random() < 0.3) delete mutated[pick(fields)];
        probes.push(withBody(JSON.stringify(mutated), random() < 0.75 ? 'application/json' : pick(CONTENT_TYPES)));
      }
    } else {
      for (let i = 0; i < 3; i++) probes.push(withBody(pick(MALFORMED_BODIES), pick(CONTENT_TYPES)));
    }
    const body = op.requestBody ? JSON.stringify(exampleOf(schema)) : undefined;
    for (const p of params) {
      for (let i = 0; i < VALUES_PER_PARAMETER; i++) {
        const value = p.in === 'header' ? pick(PARAMETER_VALUES).replace(/%/g, '') : pick(PARAMETER_VALUES);
        probes.push(
          withBody(body, body === undefined ? undefined : 'application/json', { [`${p.in}:${p.name}`]: value }),
        );
      }
    }
    return probes;
  }

  /** What is wrong with an answer, or undefined when it is acceptable. */
  function judge(path: string, op: Operation, res: Answer): string | undefined {
    if (res.status >= 500) {
      if (res.status === 503 && op.responses['503'] !== undefined) return undefined;
      return `status ${res.status}: ${res.text.slice(0, 300)}`;
    }
    if (res.status < 400) return undefined;
    const type = String(res.headers['content-type'] ?? '');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.text) as Record<string, unknown>;
    } catch {
      return `status ${res.status} with a body that is not JSON (${type}): ${res.text.slice(0, 200)}`;
    }
    const surface = surfaceOf(path);
    if (surface === 'ollama') {
      return typeof body.error === 'string' ? undefined : `not Ollama's {"error"}: ${res.text.slice(0, 200)}`;
    }
    if (surface === 'openai') {
      const e = body.error as Record<string, unknown> | undefined;
      const ok =
        typeof e === 'object' &&
        e !== null &&
        typeof e.message === 'string' &&
        typeof e.type === 'string' &&
        'param' in e &&
        typeof e.code === 'string';
      return ok ? undefined : `not OpenAI's {"error":{message,type,param,code}}: ${res.text.slice(0, 200)}`;
    }
    const problem =
      /^application\/problem\+json/.test(type) &&
      body.status === res.status &&
      typeof body.code === 'string' &&
      typeof body.detail === 'string' &&
      typeof body.type === 'string';
    return problem ? undefined : `not problem+json (${type}): ${res.text.slice(0, 200)}`;
  }

  it('should answer every malformed request to every operation below 500, in its surface dialect', async () => {
    const random = seeded(SEED);
    const failures: string[] = [];
    let sent = 0;
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => [path, m, item[m] as unknown as Operation] as const),
    );
    expect(operations.length).toBeGreaterThan(40);
    for (const [path, method, op] of operations) {
      for (const probe of probesFor(path, method, op, random)) {
        const res = await send(probe);
        sent++;
        const wrong = judge(probe.path.split('?')[0], op, res);
        if (wrong) {
          const body = probe.body === undefined ? '(none)' : String(probe.body).slice(0, 80);
          failures.push(
            `${op.operationId}: ${probe.method} ${probe.path.slice(0, 120)} [${probe.headers['content-type'] ?? 'no content-type'}] ${body} → ${wrong}`,
          );
        }
      }
    }
    expect({ seed: SEED, failures: failures.slice(0, 20), count: failures.length }).toEqual({
      seed: SEED,
      failures: [],
      count: 0,
    });
    expect(sent).toBeGreaterThan(800);
  }, 120_000);

  it('should still be alive and serving afterwards', async () => {
    expect(app.child.exitCode).toBeNull();
    const live = await send({ method: 'GET', path: '/health/live', headers: {} });
    expect(live.status).toBe(200);
    const summary = await send({
      method: 'POST',
      path: '/v1/summaries',
      headers: { authorization: bearer(TEST_AUTH.admin), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Foxes are small. They live in forests. They eat berries.', maxSentences: 1 }),
    });
    expect(summary.status).toBe(200);
    expect(app.stderr()).not.toMatch(/Unhandled|uncaught|FATAL/i);
  });
});
