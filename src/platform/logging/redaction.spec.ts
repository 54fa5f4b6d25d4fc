import pino from 'pino';
import { Writable } from 'node:stream';
import { REDACT_PATHS, REDACTED, redactUrl } from './redaction';

function logOnce(obj: object): string {
  let out = '';
  const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
  pino({ redact: { paths: REDACT_PATHS, censor: REDACTED } }, sink).info(obj, 'x');
  return out;
}

describe('redaction', () => {
  it('should redact credential headers', () => {
    const line = logOnce({
      req: { headers: { authorization: 'Bearer s3cr3t', cookie: 'sid=1', 'x-api-key': 'k3y', accept: '*/*' } },
    });
    expect(line).not.toMatch(/s3cr3t|sid=1|k3y/);
    expect(line).toContain('*/*');
  });

  it('should redact password/token/secret fields at the top level and one level down', () => {
    const line = logOnce({ password: 'p1', body: { token: 't2', apiKey: 'a3' }, user: { secret: 's4', name: 'ann' } });
    expect(line).not.toMatch(/p1|t2|a3|s4/);
    expect(line).toContain('ann');
    expect(line.split(REDACTED).length - 1).toBe(4);
  });

  it('should mask credential-looking query parameters only', () => {
    expect(redactUrl('/v1/x?api_key=abc&page=2&access_token=zz')).toBe(
      `/v1/x?api_key=${REDACTED}&page=2&access_token=${REDACTED}`,
    );
    expect(redactUrl('/v1/x?page=2')).toBe('/v1/x?page=2');
  });
});
