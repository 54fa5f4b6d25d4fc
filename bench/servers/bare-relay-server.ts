import { createServer, request } from 'node:http';

/**
 * A bare Node pass-through (no framework, no checks) in front of UPSTREAM_URL: the cost of one
 * more process on the path, as a second baseline for bench:llm.
 */
const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:11434');
const server = createServer((req, res) => {
  const out = request(
    { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  req.pipe(out);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// bench:llm:cpu asks for this process's CPU time over IPC (when started with an IPC channel).
process.on('message', () => process.send?.(process.cpuUsage()));
