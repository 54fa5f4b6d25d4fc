import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { OUT_HEADERS, outgoingHeaderMap } from './outgoing-headers';

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
});
