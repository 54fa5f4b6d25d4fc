import { Writable } from 'node:stream';
import { REDACTED, redactSecrets, redactUrl } from './redaction';
import { createRootLogger } from './root-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write: (c: Buffer, _e, cb) => {
      raw.push(c.toString());
      lines.push(JSON.parse(c.toString()) as Record<string, unknown>);
      cb();
    },
  });
  const log = createRootLogger({ level: 'info', format: 'json', httpRequests: true } as never, sink);
  return { log, lines, raw };
}

describe('redaction', () => {
  it('should redact credential headers of logged requests and responses', () => {
    const { log, raw } = capture();
    log.info(
      {
        req: { headers: { authorization: 'Bearer s3cr3t', cookie: 'sid=1', 'x-api-key': 'k3y', accept: '*/*' } },
        res: { headers: { 'set-cookie': 'sid=2', 'content-type': 'text/plain' } },
      },
      'x',
    );
    expect(raw[0]).not.toMatch(/s3cr3t|sid=1|k3y|sid=2/);
    expect(raw[0]).toContain('*/*');
    expect(raw[0]).toContain('text/plain');
  });

  it('should redact password/token/secret fields at the top level and one level down', () => {
    const { log, raw } = capture();
    log.info({ password: 'p1', body: { token: 't2', apiKey: 'a3' }, user: { secret: 's4', name: 'ann' } }, 'x');
    expect(raw[0]).not.toMatch(/p1|t2|a3|s4/);
    expect(raw[0]).toContain('ann');
    expect(raw[0].split(REDACTED).length - 1).toBe(4);
  });

  it('should redact secret fields of child bindings', () => {
    const { log, raw } = capture();
    log.child({ token: 'b1', requestId: 'r1' }).info('x');
    expect(raw[0]).not.toContain('b1');
    expect(raw[0]).toContain('r1');
  });

  it('should keep an error serialisable (type, message, stack) while masking its secret fields', () => {
    const { log, lines } = capture();
    const err = Object.assign(new TypeError('boom'), { password: 'e1', code: 'X' });
    log.error({ err }, 'failed');
    const logged = lines[0].err as Record<string, unknown>;
    expect(logged).toMatchObject({ type: 'TypeError', message: 'boom', code: 'X', password: REDACTED });
    expect(logged.stack).toContain('boom');
    expect(err.password).toBe('e1');
  });

  it('should never mutate the logged object, and return it as is when there is nothing to hide', () => {
    const obj = { req: { headers: { authorization: 'a' } }, body: { token: 't' }, n: 1 };
    const out = redactSecrets(obj);
    expect(out).not.toBe(obj);
    expect(obj).toEqual({ req: { headers: { authorization: 'a' } }, body: { token: 't' }, n: 1 });
    expect(out).toEqual({ req: { headers: { authorization: REDACTED } }, body: { token: REDACTED }, n: 1 });
    const clean = { req: { method: 'GET', headers: { accept: '*/*' } }, list: [{ token: 'in-array' }] };
    expect(redactSecrets(clean)).toBe(clean);
  });

  it('should mask credential-looking query parameters only', () => {
    expect(redactUrl('/v1/x?api_key=abc&page=2&access_token=zz')).toBe(
      `/v1/x?api_key=${REDACTED}&page=2&access_token=${REDACTED}`,
    );
    expect(redactUrl('/v1/x?page=2')).toBe('/v1/x?page=2');
  });
});
