import { createServer, type ServerResponse } from 'node:http';

/**
 * Baseline for bench:sse: a bare Node http SSE broadcaster, no framework, no ids buffer, no
 * heartbeats: the floor any toolkit is measured against.
 */
const clients = new Set<ServerResponse>();
let id = 0;

const server = createServer((req, res) => {
  if (req.url === '/bench/sse/follow') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('retry: 3000\n\n');
    clients.add(res);
    res.on('close', () => clients.delete(res));
    return;
  }
  if (req.url === '/bench/sse/publish') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { seq } = JSON.parse(body) as { seq: number };
      const frame = `id: ${++id}\nevent: tick\ndata: ${JSON.stringify({ seq })}\n\n`;
      for (const c of clients) c.write(frame);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: String(id) }));
    });
    return;
  }
  if (req.url === '/bench/sse/stats') {
    (globalThis as { gc?: () => void }).gc?.();
    res.writeHead(200, { 'content-type': 'application/json' });
    const { rss, heapUsed } = process.memoryUsage();
    res.end(JSON.stringify({ open: clients.size, rss, heapUsed }));
    return;
  }
  res.writeHead(404).end();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
