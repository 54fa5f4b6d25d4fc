import { connect } from 'node:net';
import { spawnApp, waitForHttp, type SpawnedApp } from './support/spawn-app';
import { eventually } from './support/eventually';

/** Sends raw bytes and returns everything the server answers before closing. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', (e) => (out ? resolve(out) : reject(e)));
  });
}

describe('Boot and process basics (e2e, real process)', () => {
  it('should refuse to boot on bad configuration, naming every bad variable', async () => {
    const app = await spawnApp({ PORT: 'eighty', LOG_LEVEL: 'loud', HTTP_BODY_LIMIT: 'huge' });
    const code = await app.exited;
    expect(code).toBe(1);
    const err = app.stderr();
    expect(err).toContain('fennec: failed to start: Invalid configuration');
    for (const name of ['PORT (got "eighty")', 'LOG_LEVEL (got "loud")', 'HTTP_BODY_LIMIT (got "huge")']) {
      expect(err).toContain(name);
    }
  }, 30_000);

  describe('a running server', () => {
    let app: SpawnedApp;

    beforeAll(async () => {
      app = await spawnApp();
      await waitForHttp(`${app.baseUrl}/health/live`);
    }, 30_000);

    afterAll(async () => {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
      await app.exited;
    });

    it('should log one JSON line per request carrying the request id', async () => {
      const res = await fetch(`${app.baseUrl}/health/live`, {
        headers: { 'x-request-id': 'boot-e2e-1', authorization: 'Bearer do-not-log-me' },
      });
      expect(res.headers.get('x-request-id')).toBe('boot-e2e-1');
      const completed = () => app.logs().filter((l) => l.requestId === 'boot-e2e-1' && l.msg === 'request completed');
      await eventually(() => completed().length > 0, { what: 'the request log line' });
      await new Promise((r) => setTimeout(r, 50)); // a second line, were there one, would be written by now
      const lines = completed();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'info', msg: 'request completed', res: { statusCode: 200 } });
      expect(app.stdout()).not.toContain('do-not-log-me');
    });

    it('should answer oversized headers with a 431 problem, not a bare status line', async () => {
      const raw = await rawRequest(
        app.port,
        `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(raw).toMatch(/^HTTP\/1\.1 431 /);
      expect(raw).toContain('application/problem+json');
      expect(raw).toContain('"code":"REQUEST.HEADERS_TOO_LARGE"');
    });

    it('should answer a malformed request line with a 400 problem', async () => {
      const raw = await rawRequest(app.port, 'NOT A REQUEST\r\n\r\n');
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw).toContain('"code":"REQUEST.MALFORMED"');
    });

    it('should exit 0 on SIGTERM', async () => {
      app.child.kill('SIGTERM');
      expect(await app.exited).toBe(0);
    }, 20_000);
  });
});
