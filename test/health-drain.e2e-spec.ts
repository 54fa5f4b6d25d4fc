import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeOllama } from './fixtures/fake-ollama';
import { parseSse } from './llm/sse-body';
import { spawnApp, waitForHttp, type SpawnedApp } from './support/spawn-app';
import { bearer, TEST_AUTH, testAuthEnv } from './support/test-credentials';

const DRAIN_MS = 1500;
/** How long the simulated load balancer takes to stop routing after readiness turns 503. */
const LB_REACTION_MS = 300;

interface Answer {
  status: number;
  connection?: string;
  at: number;
  body: string;
}

function send(
  port: number,
  path: string,
  agent: Agent,
  opts: { method?: string; headers?: Record<string, string>; slowBody?: { chunks: string[]; gapMs: number } } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, agent, method: opts.method ?? 'GET', headers: opts.headers },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, at: Date.now(), body }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (!opts.slowBody) {
      req.end();
      return;
    }
    const { chunks, gapMs } = opts.slowBody;
    void (async () => {
      for (const chunk of chunks) {
        req.write(chunk);
        await sleep(gapMs);
      }
      req.end();
    })();
  });
}

describe('Graceful drain on SIGTERM (e2e, real process)', () => {
  let app: SpawnedApp;
  let ollama: FakeOllama;

  beforeAll(async () => {
    // Slow tokens: an SSE summary batch is still streaming when shutdown comes.
    ollama = await FakeOllama.start({ tokenLatencyMs: 150 });
    app = await spawnApp({
      ...testAuthEnv(),
      OLLAMA_URLS: ollama.url,
      HEALTH_DRAIN_DELAY_MS: String(DRAIN_MS),
      THROTTLE_BURST_LIMIT: '100000',
      THROTTLE_SUSTAINED_LIMIT: '1000000',
    });
    await waitForHttp(`${app.baseUrl}/health/live`);
  }, 30_000);

  afterAll(async () => {
    if (app.child.exitCode === null) app.child.kill('SIGKILL');
    await app.exited;
    await ollama.close();
  });

  it('should turn readiness 503 at once, finish in-flight requests on keep-alive sockets without a failure, end SSE streams with a terminal event, and exit 0', async () => {
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });
    const probeAgent = new Agent({ keepAlive: false });
    const failures: unknown[] = [];
    const answers: Answer[] = [];
    let lbStopped = false;
    let firstNotReadyAt: number | undefined;

    // The "load balancer": probes readiness and stops routing LB_REACTION_MS after it turns 503.
    const prober = (async () => {
      while (firstNotReadyAt === undefined) {
        const r = await send(app.port, '/health/ready', probeAgent);
        if (r.status === 503) {
          firstNotReadyAt = r.at;
          setTimeout(() => (lbStopped = true), LB_REACTION_MS);
        }
        await sleep(50);
      }
    })();

    const clients = Array.from({ length: 6 }, async (_, i) => {
      while (!lbStopped) {
        try {
          answers.push(await send(app.port, i % 2 === 0 ? '/health/live' : '/health', keepAlive));
        } catch (err) {
          failures.push(err);
        }
      }
    });

    // A long SSE stream (abstractive summaries of many documents through the slow fake Ollama).
    const text = 'Fennec drains gracefully. '.repeat(10);
    const stream = send(app.port, '/v1/summaries/batch', keepAlive, {
      method: 'POST',
      headers: { authorization: bearer(TEST_AUTH.viewer), 'content-type': 'application/json' },
      slowBody: {
        chunks: [JSON.stringify({ documents: Array.from({ length: 10 }, () => ({ text })), mode: 'abstractive' })],
        gapMs: 0,
      },
    });

    await sleep(300);
    const sigtermAt = Date.now();
    app.child.kill('SIGTERM');

    // An upload still in progress when the listener closes (after the drain delay), on a keep-alive socket.
    await sleep(DRAIN_MS - 500);
    const rule = JSON.stringify({
      service: '*',
      when: { metric: 'status', op: 'eq', value: 'DOWN' },
      forMs: 60_000,
      level: 'INFO',
      action: 'notify',
      cooldownMs: 60_000,
    });
    const third = Math.ceil(rule.length / 3);
    const slow = send(app.port, '/health/automation/rules/drain-probe', keepAlive, {
      method: 'PUT',
      headers: {
        authorization: bearer(TEST_AUTH.admin),
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(rule)),
      },
      slowBody: { chunks: [rule.slice(0, third), rule.slice(third, 2 * third), rule.slice(2 * third)], gapMs: 450 },
    });

    const [slowAnswer, streamAnswer] = await Promise.all([slow, stream, prober, ...clients]);
    const code = await app.exited;
    const closedLogged = app.logs().some((l) => l.msg === 'shutdown complete');

    expect(failures).toEqual([]);
    expect(firstNotReadyAt! - sigtermAt).toBeLessThan(DRAIN_MS);
    const duringDrain = answers.filter((a) => a.at > firstNotReadyAt!);
    expect(duringDrain.length).toBeGreaterThan(0);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // Responses during the drain close their keep-alive sockets.
    expect(duringDrain.every((a) => a.connection === 'close')).toBe(true);
    expect(slowAnswer.status).toBe(200);
    expect(slowAnswer.at - sigtermAt).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(slowAnswer.connection).toBe('close');
    // The stream was cut by the shutdown with an explicit terminal event, after the drain delay.
    expect(streamAnswer.status).toBe(200);
    const events = parseSse(streamAnswer.body);
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { code: 'STREAM.SHUTTING_DOWN' } });
    expect(streamAnswer.at - sigtermAt).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(code).toBe(0);
    expect(closedLogged).toBe(true);
    keepAlive.destroy();
    probeAgent.destroy();
  }, 20_000);
});
