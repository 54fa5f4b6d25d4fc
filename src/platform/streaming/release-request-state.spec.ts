import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { releaseRequestState } from './release-request-state';

type ExpressLikeRequest = IncomingMessage & { next?: () => void };

/** Serves one request with `handle`, reads the response until `until` shows up, and returns what the client saw. */
async function serveOnce(
  handle: (req: ExpressLikeRequest, res: ServerResponse) => void,
  until: string,
): Promise<{ headers: IncomingMessage['headers']; body: string }> {
  const server: Server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      const req = get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
          if (body.includes(until)) {
            resolve({ headers: res.headers, body });
            req.destroy();
          }
        });
      });
      req.on('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe(releaseRequestState.name, () => {
  it('should drop the header map and req.next once the headers are sent, keeping the header block and the stream', async () => {
    let seen: { getHeader: unknown; names: string[]; headersSent: boolean; header: unknown; next: unknown } | undefined;
    let headerBefore: unknown;
    const client = await serveOnce((req, res) => {
      req.next = () => undefined;
      res.setHeader('x-frame-options', 'SAMEORIGIN');
      res.setHeader('x-request-id', 'r-1');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 1000\n\n');
      headerBefore = (res as { _header?: unknown })._header;
      releaseRequestState(req, res);
      seen = {
        getHeader: res.getHeader('x-request-id'),
        names: res.getHeaderNames(),
        headersSent: res.headersSent,
        header: (res as { _header?: unknown })._header,
        next: req.next,
      };
      res.write('data: after\n\n');
    }, 'data: after');
    expect(client.headers['x-request-id']).toBe('r-1');
    expect(client.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(client.body).toBe('retry: 1000\n\ndata: after\n\n');
    // The state Node leaves when every header goes through writeHead: getters answer "none".
    expect(seen).toEqual({ getHeader: undefined, names: [], headersSent: true, header: headerBefore, next: undefined });
  });

  it('should leave a response whose headers are not sent yet untouched', async () => {
    let seen: { getHeader: unknown; next: unknown } | undefined;
    await serveOnce((req, res) => {
      const next = () => undefined;
      req.next = next;
      res.setHeader('x-request-id', 'r-2');
      releaseRequestState(req, res);
      seen = { getHeader: res.getHeader('x-request-id'), next: req.next === next };
      res.end('ok');
    }, 'ok');
    expect(seen).toEqual({ getHeader: 'r-2', next: true });
  });
});
