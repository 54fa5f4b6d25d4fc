/**
 * npm run bench:http:ablation — what each layer of a typical NestJS stack costs per request.
 *
 * Starts bare NestJS, then bare NestJS plus one feature at a time (helmet, JSON request logging
 * with and without a 4 KiB write buffer, validation pipe, AsyncLocalStorage, six no-op middleware), then all of them, and prints the
 * server's CPU time per request for each, next to the bare baseline measured in the same run.
 * CPU per request (from /proc) is used because it holds on a shared, noisy machine where
 * throughput does not. Env: BENCH_SECONDS (4), BENCH_CONNECTIONS (50).
 */
import { load, type Sample, startServer } from './support/http-load';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** `ABLATIONS="log;leanlog"` measures only those variants (semicolon-separated). */
const VARIANTS = process.env.ABLATIONS
  ? ['', ...process.env.ABLATIONS.split(';')]
  : ['', 'helmet', 'log', 'leanlog', 'validation', 'als', 'middleware', 'helmet,log,validation,als,middleware'];

async function measure(ablation: string): Promise<Sample> {
  const server = await startServer(
    ablation || 'bare',
    'bench/servers/ablation-server.ts',
    { ABLATION: ablation, NODE_ENV: 'production' },
    '/bench/ping?name=fennec',
  );
  try {
    await load(server, 3, CONNECTIONS); // warm-up
    return await load(server, SECONDS, CONNECTIONS);
  } finally {
    server.child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const bare = await measure('');
  console.log(`bare NestJS: ${bare.cpuUsPerReq.toFixed(0)} µs CPU/request, ${bare.rps.toFixed(0)} req/s`);
  for (const variant of VARIANTS.slice(1)) {
    const s = await measure(variant);
    const added = s.cpuUsPerReq - bare.cpuUsPerReq;
    console.log(
      `+ ${variant.padEnd(40)} ${s.cpuUsPerReq.toFixed(0).padStart(5)} µs/request  (${added >= 0 ? '+' : ''}${added.toFixed(0)} µs, ×${(s.cpuUsPerReq / bare.cpuUsPerReq).toFixed(2)} of bare)`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
