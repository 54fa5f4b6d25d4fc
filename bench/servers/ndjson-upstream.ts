import { createServer } from 'node:http';

/**
 * Upstream for bench:upstream: streams `n` NDJSON lines `gapMs` apart, each stamped with the
 * wall-clock time (ms, sub-ms precision) it was written, like a token stream from Ollama.
 */
const now = () => performance.timeOrigin + performance.now();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const n = Number(url.searchParams.get('n') ?? 100);
  const gap = Number(url.searchParams.get('gapMs') ?? 2);
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  let i = 0;
  const tick = () => {
    if (res.destroyed) return;
    res.write(JSON.stringify({ i, t: now(), token: 'lorem' }) + '\n');
    if (++i < n) setTimeout(tick, gap);
    else res.end();
  };
  tick();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
