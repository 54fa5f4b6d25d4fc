import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { InspectionProbeController } from './fixtures/security/inspection-probe.controller';
import { createTestApp } from './support/create-test-app';
import { bearer, TEST_AUTH } from './support/test-credentials';
import { eventually } from './support/eventually';

describe('Input threat inspection (e2e)', () => {
  let app: NestExpressApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ extra: { controllers: [InspectionProbeController] } });
  });
  afterAll(() => app.close());

  function expectRejected(res: request.Response, field: string, kind: string, payload: string): void {
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('SECURITY.INPUT_REJECTED');
    expect(res.body.errors).toEqual([{ field, message: `looks like ${kind}` }]);
    expect(res.text).not.toContain(payload);
  }

  it('should let ordinary text through, words like select, update, file, title, form and id included', async () => {
    for (const text of [
      "Patrick O'Brien wants to update the title on the form.",
      'Select a file; set its id to 42.',
      'The trade union select committee met on Tuesday.',
      '[Docs](../README.md) and `npm test`',
    ]) {
      const res = await http().post('/inspect-probe/comments').send({ text, title: 'Q&A: drop-in session' });
      expect([text, res.status]).toEqual([text, 201]);
    }
    expect((await http().get('/inspect-probe/search').query({ q: "o'brien union" })).status).toBe(200);
  });

  it('should block XSS in the body, naming the field and not echoing the payload', async () => {
    const payload = '<img src=x onerror=alert(1)>';
    const res = await http().post('/inspect-probe/comments').send({ text: 'hello', title: payload });
    expectRejected(res, 'body.title', 'cross-site scripting', payload);
  });

  it('should block SQL injection in the query string', async () => {
    const payload = "' OR '1'='1' --";
    expectRejected(
      await http().get('/inspect-probe/search').query({ q: payload }),
      'query.q',
      'SQL injection',
      payload,
    );
  });

  it('should block path traversal in route params, also when percent-encoded', async () => {
    const res = await http().get('/inspect-probe/files/..%2f..%2f..%2fetc%2fpasswd');
    expectRejected(res, 'params.name', 'path traversal', 'etc/passwd');
  });

  it('should block command injection and prototype-polluting keys', async () => {
    expectRejected(
      await http().get('/inspect-probe/search').query({ q: 'x; cat /etc/hosts' }),
      'query.q',
      'command injection',
      'cat /etc',
    );
    const res = await http().get('/inspect-probe/search?q=a&__proto__[admin]=1');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'query.__proto__[admin]', message: 'looks like prototype pollution' }]);
  });

  it('should only flag threats in flag-only fields, and still block the others', async () => {
    const prompt = 'Explain why `; rm -rf /` and <script>alert(1)</script> are dangerous';
    const ok = await http().post('/inspect-probe/prompts').set('x-request-id', 'flag-1').send({ prompt, name: 'n' });
    expect(ok.status).toBe(201);
    const bad = await http().post('/inspect-probe/prompts').send({ prompt: 'hi', name: '<script>alert(1)</script>' });
    expectRejected(bad, 'body.name', 'cross-site scripting', '<script>');
  });

  it('should record rejected and flagged input as security events and count them', async () => {
    await http()
      .get('/inspect-probe/search')
      .set('x-request-id', 'reject-1')
      .query({ q: '1 UNION SELECT password FROM users' });
    type Event = { type: string; requestId: string; detail?: string; route: string };
    const events = await eventually(
      async () => {
        const res = await http().get('/security/events?limit=100').set('authorization', bearer(TEST_AUTH.admin));
        const items = res.body.items as Event[];
        return items.some((e) => e.requestId === 'reject-1') && items;
      },
      { what: 'the input.rejected event' },
    );
    expect(events.find((e) => e.requestId === 'reject-1')).toMatchObject({
      type: 'input.rejected',
      route: '/inspect-probe/search',
      detail: 'query.q: sql-injection',
    });
    expect(events.find((e) => e.requestId === 'flag-1')).toMatchObject({ type: 'input.flagged' });
    expect(JSON.stringify(events)).not.toContain('UNION SELECT');
    const metrics = await http().get('/metrics');
    expect(metrics.text).toMatch(/fennec_security_events_total\{type="input.rejected"\} [1-9]/);
    expect(metrics.text).toMatch(/fennec_security_events_total\{type="input.flagged"\} [1-9]/);
  });
});
