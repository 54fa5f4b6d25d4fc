import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { OUT_HEADERS, outgoingHeaderMap, setCheckedHeader } from './outgoing-headers';

/** Pins the Node internals the fast paths rely on; if this fails, they fall back (see OUT_HEADERS). */
describe('outgoing header map', () => {
  const response = () => new ServerResponse(new IncomingMessage(new Socket()));

  it('is found on this Node version and holds what setHeader stores', () => {
    expect(OUT_HEADERS).not.toBeNull();
    const res = response();
    expect((res as unknown as Record<symbol, unknown>)[OUT_HEADERS!]).toBeNull();
    res.setHeader('X-One', '1');
    expect(outgoingHeaderMap(res, OUT_HEADERS!)).toEqual({ 'x-one': ['X-One', '1'] });
  });

  it('entries written into it behave as if setHeader had written them', () => {
    const res = response();
    outgoingHeaderMap(res, OUT_HEADERS!)['x-two'] = ['X-Two', '2'];
    expect(res.getHeader('x-two')).toBe('2');
    expect(res.getHeaderNames()).toEqual(['x-two']);
    res.appendHeader('X-Two', '3');
    expect(res.getHeader('x-two')).toEqual(['2', '3']);
    res.removeHeader('x-two');
    expect(res.hasHeader('x-two')).toBe(false);
  });

  it('setCheckedHeader stores what setHeader stores, and refuses once the headers are sent', () => {
    const direct = response();
    const viaApi = response();
    setCheckedHeader(direct, 'x-ratelimit-limit', 'X-RateLimit-Limit', '20');
    viaApi.setHeader('X-RateLimit-Limit', '20');
    expect(outgoingHeaderMap(direct, OUT_HEADERS!)).toEqual(outgoingHeaderMap(viaApi, OUT_HEADERS!));
    expect(direct.getHeader('x-ratelimit-limit')).toBe('20');
    (direct as unknown as { _header: string })._header = 'HTTP/1.1 200 OK\r\n\r\n';
    expect(() => setCheckedHeader(direct, 'x-late', 'X-Late', '1')).toThrow(/after they are sent/);
  });
});
