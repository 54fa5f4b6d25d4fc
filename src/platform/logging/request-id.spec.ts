import type { IncomingMessage, ServerResponse } from 'node:http';
import { assignRequestId, isSaneRequestId } from './request-id';

function exchange(header?: string | string[]) {
  const headers: Record<string, string> = {};
  const req = { headers: header === undefined ? {} : { 'x-request-id': header } } as unknown as IncomingMessage;
  const res = { setHeader: (k: string, v: string) => (headers[k] = v) } as unknown as ServerResponse;
  return { id: assignRequestId(req, res), headers };
}

describe('request ids', () => {
  it('should adopt a sane caller-supplied id and echo it', () => {
    const { id, headers } = exchange('abc-123_X.y');
    expect(id).toBe('abc-123_X.y');
    expect(headers['x-request-id']).toBe('abc-123_X.y');
  });

  it.each([['has space'], ['<script>'], ['x'.repeat(129)], [''], ['ünïcode']])(
    'should replace %j with a new id',
    (bad) => {
      const { id, headers } = exchange(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(headers['x-request-id']).toBe(id);
    },
  );

  it('should replace a repeated header (array) with a new id', () => {
    expect(exchange(['a', 'b']).id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('should accept exactly 128 characters', () => {
    expect(isSaneRequestId('a'.repeat(128))).toBe(true);
  });
});
