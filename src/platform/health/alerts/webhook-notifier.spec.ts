import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookNotifier } from './webhook-notifier';

describe(WebhookNotifier.name, () => {
  let server: Server;
  let url: string;
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  const received: { body: unknown; contentType?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body: JSON.parse(body), contentType: req.headers['content-type'] });
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  beforeEach(() => (received.length = 0));

  it('should POST the alert as JSON', async () => {
    handler = (_req, res) => res.writeHead(204).end();
    const out = await new WebhookNotifier({ url, timeoutMs: 1000, retries: 2, backoffMs: 1 }).send({
      alert: { id: 'a1' },
    });
    expect(out).toEqual({ ok: true, attempts: 1, status: 204 });
    expect(received).toEqual([{ body: { alert: { id: 'a1' } }, contentType: 'application/json' }]);
  });

  it('should retry a 5xx answer and succeed', async () => {
    let n = 0;
    handler = (_req, res) => res.writeHead(++n < 3 ? 503 : 200).end();
    const out = await new WebhookNotifier({ url, timeoutMs: 1000, retries: 3, backoffMs: 1 }).send({ x: 1 });
    expect(out).toEqual({ ok: true, attempts: 3, status: 200 });
    expect(received).toHaveLength(3);
  });

  it('should time out each attempt and give up after the retries', async () => {
    handler = () => undefined; // never answers
    const out = await new WebhookNotifier({ url, timeoutMs: 100, retries: 1, backoffMs: 1 }).send({ x: 1 });
    expect(out).toEqual({ ok: false, attempts: 2, error: 'timeout after 100 ms' });
    expect(received).toHaveLength(2);
  });

  it('should not retry a 4xx answer', async () => {
    handler = (_req, res) => res.writeHead(400).end();
    const out = await new WebhookNotifier({ url, timeoutMs: 1000, retries: 3, backoffMs: 1 }).send({ x: 1 });
    expect(out).toMatchObject({ ok: false, attempts: 1, status: 400 });
  });

  it('should say so when no URL is configured', async () => {
    expect(await new WebhookNotifier({ timeoutMs: 10, retries: 0 }).send({})).toMatchObject({ ok: false, attempts: 0 });
  });
});
