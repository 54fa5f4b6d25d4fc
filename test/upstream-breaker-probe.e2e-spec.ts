import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { FakeOllama } from './fixtures/fake-ollama';
import { createTestApp } from './support/create-test-app';
import { eventually } from './support/eventually';
import { bearer, TEST_AUTH } from './support/test-credentials';

jest.setTimeout(30_000);

const OPERATOR = bearer(TEST_AUTH.operator);
/** The pool's default open wait (DEFAULT_POOL_OPTIONS.breaker.openWaitMs); the LLM pool keeps it. */
const OPEN_WAIT_MS = 10_000;
const PROBE_INTERVAL_MS = 500;

interface InstanceStatus {
  up: boolean;
  probe: string;
  breaker: string;
}

/**
 * An Ollama that comes back is served again within one probe interval: a passed active probe
 * moves its open breaker to half-open (Envoy's active health checking un-ejects a host the same
 * way) instead of leaving every call refused for the breaker's whole open wait.
 */
describe('LLM gateway: breaker and active probe (e2e)', () => {
  let app: NestExpressApplication;
  let fake: FakeOllama;

  beforeAll(async () => {
    fake = await FakeOllama.start();
    app = await createTestApp({
      env: {
        OLLAMA_URLS: fake.url,
        LLM_HEALTH_INTERVAL_MS: String(PROBE_INTERVAL_MS),
        LLM_CHAT_PER_MINUTE: '10000',
      },
    });
  });

  afterAll(async () => {
    await app.close();
    await fake.close();
  });

  const http = () => request(app.getHttpServer());
  const chat = () =>
    http()
      .post('/v1/llm/chat')
      .set('authorization', bearer(TEST_AUTH.viewer))
      .send({ messages: [{ role: 'user', content: 'hi' }] });
  const instance = async (): Promise<InstanceStatus> => {
    const res = await http().get('/upstreams').set('authorization', OPERATOR);
    return (res.body.pools as { name: string; instances: InstanceStatus[] }[]).find((p) => p.name === 'ollama')!
      .instances[0];
  };

  it('should serve again within a probe interval of Ollama coming back, not after the open wait', async () => {
    expect((await chat()).status).toBe(200);

    // Real calls fail while the probe paths still answer: the breaker opens on real traffic.
    fake.set({ failWithStatus: 503, failPaths: ['/api/chat'] });
    await eventually(
      async () => {
        await chat();
        return (await instance()).breaker === 'open';
      },
      { what: 'breaker open', timeoutMs: 10_000 },
    );
    const opened = Date.now();
    // Then Ollama is down altogether: the probe sees it, the gateway answers 503 without calling.
    fake.set({ failPaths: undefined });
    await eventually(async () => (await instance()).probe === 'unhealthy', { what: 'probe unhealthy' });
    expect((await chat()).status).toBe(503);

    // Ollama is back. The next probe passes and the next call is the breaker's trial.
    fake.reset();
    const back = Date.now();
    await eventually(async () => (await chat()).status === 200, {
      what: 'served again',
      timeoutMs: OPEN_WAIT_MS,
      maxDelayMs: 50,
    });
    const servedAfterMs = Date.now() - back;
    // Within a probe interval (plus slack for a loaded machine), and well before the open wait ends.
    expect(servedAfterMs).toBeLessThan(OPEN_WAIT_MS / 2);
    expect(Date.now() - opened).toBeLessThan(OPEN_WAIT_MS);
    expect(await instance()).toMatchObject({ up: true, probe: 'healthy', breaker: 'closed' });
  });
});
