import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { eventually } from '../../../test/support/eventually';
import { currentContext } from '../context/request-context';
import type { MetricsService } from '../metrics/metrics.service';
import { InFlightRequests } from '../sensors/in-flight-requests';
import { requestEdge } from './request-edge';

/** The edge on a real Node server: the request id, the context, in-flight counting, one listener. */
describe('requestEdge', () => {
  let server: Server;
  let port: number;
  const inFlight = new InFlightRequests();
  const observed: [string, number][] = [];
  const metrics = { observeHttpRequest: (m: string, _r: string, s: number) => observed.push([m, s]) };
  let hold: (() => void) | undefined;
  let seen: { requestId?: string; inFlight: number; closeListeners: number } | undefined;

  beforeAll(async () => {
    const edge = requestEdge({
      root: pino({ enabled: false }),
      logCompletions: false,
      metrics: metrics as unknown as MetricsService,
      inFlight,
    });
    server = createServer((req, res) =>
      edge(req as Parameters<typeof edge>[0], res, () => {
        seen = {
          requestId: currentContext()?.requestId,
          inFlight: inFlight.current,
          closeListeners: res.listenerCount('close'),
        };
        if (req.url === '/hold') hold = () => res.end('late');
        else res.end('ok');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    // A test that failed half-way may leave a held request: answer it and drop every socket, so the
    // server closes and Jest can exit.
    hold?.();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; id: string | undefined }>((resolve, reject) => {
      request({ port, path, headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, id: res.headers['x-request-id'] as string }));
      })
        .on('error', reject)
        .end();
    });

  it('gives the request its id and context, and counts it in flight until it is answered', async () => {
    seen = undefined;
    const answer = get('/hold', { 'x-request-id': 'edge-test-1' });
    await eventually(() => seen, { what: 'the request reaching the handler' });
    expect(seen).toEqual({ requestId: 'edge-test-1', inFlight: 1, closeListeners: 1 });
    expect(inFlight.current).toBe(1);
    hold!();
    expect(await answer).toEqual({ status: 200, id: 'edge-test-1' });
    await eventually(() => inFlight.current === 0, { what: 'the in-flight count dropping to 0' });
    expect(observed.at(-1)).toEqual(['GET', 200]);
  });

  it('stops counting a request whose client went away, and records it as 499', async () => {
    seen = undefined;
    const req = request({ port, path: '/hold', agent: false });
    req.on('error', () => undefined).end();
    await eventually(() => seen, { what: 'the request reaching the handler' });
    expect(inFlight.current).toBe(1);
    req.destroy();
    await eventually(() => inFlight.current === 0, { what: 'the in-flight count dropping to 0' });
    expect(observed.at(-1)).toEqual(['GET', 499]);
  });
});
