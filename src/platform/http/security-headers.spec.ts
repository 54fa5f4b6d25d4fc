import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import { securityHeaders } from './security-headers';

async function headersFrom(handler: Parameters<typeof createServer>[1]): Promise<Record<string, unknown>> {
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const out: Record<string, unknown> = {};
    res.headers.forEach((v, k) => (out[k] = v));
    delete out.date;
    return out;
  } finally {
    server.close();
  }
}

const serve = (mw: ReturnType<typeof securityHeaders>) => headersFrom((req, res) => mw(req, res, () => res.end('ok')));

describe('securityHeaders', () => {
  it('should set exactly the headers helmet sets, for the defaults', async () => {
    const ours = await serve(securityHeaders());
    const theirs = await serve(helmet());
    expect(ours).toEqual(theirs);
    expect(ours['content-security-policy']).toContain("default-src 'self'");
    expect(ours['strict-transport-security']).toBeDefined();
    expect(securityHeaders().name).not.toBe('helmetMiddleware'); // the recorded headers, not helmet's chain
  });

  it('should keep headers set before, and give each response entries of its own', async () => {
    const mw = securityHeaders();
    const seen: unknown[] = [];
    const handler: Parameters<typeof createServer>[1] = (req, res) => {
      res.setHeader('x-request-id', 'abc');
      mw(req, res, () => {
        // Extending a header in place on one response must not leak into the next.
        res.appendHeader('x-frame-options', 'DENY');
        seen.push(res.getHeader('x-frame-options'));
        res.end('ok');
      });
    };
    const first = await headersFrom(handler);
    await headersFrom(handler);
    expect(first['x-request-id']).toBe('abc');
    expect(seen).toEqual([
      ['SAMEORIGIN', 'DENY'],
      ['SAMEORIGIN', 'DENY'],
    ]);
  });

  it('should honour options', async () => {
    const ours = await serve(securityHeaders({ frameguard: { action: 'deny' }, hsts: false }));
    expect(ours['x-frame-options']).toBe('DENY');
    expect(ours['strict-transport-security']).toBeUndefined();
  });

  it('should fall back to helmet per request when a directive depends on the request', async () => {
    let calls = 0;
    const mw = securityHeaders({
      contentSecurityPolicy: {
        directives: {
          scriptSrc: [
            "'self'",
            () => {
              calls++;
              return `'nonce-${calls}'`;
            },
          ],
        },
      },
    });
    const first = await serve(mw);
    const second = await serve(mw);
    expect(first['content-security-policy']).not.toEqual(second['content-security-policy']);
  });
});

describe('securityHeaders with request-independent but changing values', () => {
  it('should fall back when two recordings differ (a random nonce that reads nothing)', async () => {
    let n = 0;
    const mw = securityHeaders({
      contentSecurityPolicy: { directives: { scriptSrc: ["'self'", () => `'nonce-${++n}'`] } },
    });
    const a = await serve(mw);
    const b = await serve(mw);
    expect(a['content-security-policy']).not.toEqual(b['content-security-policy']);
  });
});
