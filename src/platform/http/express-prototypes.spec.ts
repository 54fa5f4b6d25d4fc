import express from 'express';
import { createServer, IncomingMessage, request, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildOnExpressPrototypes } from './express-prototypes';

/** On a real Express app and Node server: requests are born on Express's prototypes, and still work. */
describe(buildOnExpressPrototypes.name, () => {
  let server: Server;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const get = (path: string) =>
    new Promise<{ status: number; body: string; type?: string }>((resolve, reject) => {
      const port = (server.address() as AddressInfo).port;
      request({ port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body, type: res.headers['content-type'] }));
      })
        .on('error', reject)
        .end();
    });

  it('should build requests and responses on app.request / app.response before Express sees them', async () => {
    const app = express();
    const seen: { before: boolean[]; after: boolean[] } = { before: [], after: [] };
    server = createServer((req, res) => {
      seen.before.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response);
      app(req, res);
    });
    app.get('/x', (req, res) => {
      seen.after.push(req instanceof IncomingMessage, res instanceof ServerResponse, req.get('host') !== undefined);
      res.status(201).json({ q: req.query.q ?? null });
    });
    expect(buildOnExpressPrototypes(server, app)).toBe(true);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

    expect(await get('/x?q=1')).toEqual({ status: 201, body: '{"q":"1"}', type: 'application/json; charset=utf-8' });
    expect(await get('/missing')).toMatchObject({ status: 404 });
    expect(seen.before).toEqual([true, true, true, true]);
    expect(seen.after).toEqual([true, true, true]);
  });

  it('should leave a server alone that was given its own classes', () => {
    class OwnRequest extends IncomingMessage {}
    server = createServer({ IncomingMessage: OwnRequest });
    expect(buildOnExpressPrototypes(server, express())).toBe(false);
  });

  it('should leave a server alone whose internal fields are not where Node 20-22 keep them', () => {
    server = createServer();
    for (const s of Object.getOwnPropertySymbols(server)) {
      if (s.description === 'IncomingMessage') delete (server as unknown as Record<symbol, unknown>)[s];
    }
    expect(buildOnExpressPrototypes(server, express())).toBe(false);
  });
});
