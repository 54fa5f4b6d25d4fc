import request from 'supertest';
import { CallerProbeController } from './fixtures/security/caller-probe.controller';
import { createTestApp } from './support/create-test-app';
import { LogCapture } from './support/log-capture';

// Its own file: Nest's static Logger is per process and writes through the app configured last, so
// a boot log line is only reliably in this capture when no other app is built alongside.
describe('Dev-mode credentials (e2e)', () => {
  const extra = { controllers: [CallerProbeController] };
  it('should generate and log one dev admin key when nothing is configured outside production', async () => {
    const logs = new LogCapture();
    const app = await createTestApp({
      extra,
      testAuth: false,
      logStream: logs,
      env: { NODE_ENV: 'development', LOG_LEVEL: 'info' },
    });
    try {
      const isKeyLine = (l: Record<string, unknown>) => String(l.msg).includes('development admin key');
      // Log lines reach the stream asynchronously.
      for (let i = 0; i < 100 && !logs.lines.some(isKeyLine); i++) await new Promise((r) => setTimeout(r, 10));
      const lines = logs.lines.filter(isKeyLine);
      expect(lines).toHaveLength(1);
      const key = /Bearer (\S+)"/.exec(String(lines[0].msg))?.[1];
      expect(key).toMatch(/^fk_dev_/);
      const res = await request(app.getHttpServer()).get('/caller-probe').set('authorization', `Bearer ${key}`);
      expect(res.body.caller).toEqual({ id: 'dev', kind: 'dev', roles: ['admin'], tenant: 'default' });
    } finally {
      await app.close();
    }
  });
});
