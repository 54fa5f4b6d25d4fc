/**
 * npm run bench:http — HTTP overhead of the Fennec platform stack over bare NestJS (Express).
 *
 * Starts both servers as child processes, loads each alternately with autocannon (several rounds,
 * so drift on a shared machine hits both alike), and prints req/s, p50/p99 and Fennec/bare.
 * Env: BENCH_ROUNDS (3), BENCH_SECONDS (5), BENCH_CONNECTIONS (50).
 */
import { BENCH_KEY, fennecBenchEnv } from './support/fennec-env';
import { type BenchServer, load as loadServer, median, type Sample, startServer } from './support/http-load';

const load = (s: BenchServer, seconds: number) => loadServer(s, seconds, CONNECTIONS, { 'x-api-key': BENCH_KEY });

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

async function main(): Promise<void> {
  const fennecEnv = fennecBenchEnv();
  const bare = await startServer(
    'bare',
    'bench/servers/bare-server.ts',
    { NODE_ENV: 'production' },
    '/bench/ping?name=fennec',
  );
  const fennec = await startServer(
    'fennec',
    'bench/servers/fennec-server.ts',
    fennecEnv,
    `${process.env.BENCH_PATH ?? '/bench/ping'}?name=fennec`,
  );
  try {
    for (const s of [bare, fennec]) await load(s, 5); // warm-up (JIT, caches)
    const results: Record<string, Sample[]> = { bare: [], fennec: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of round % 2 ? [bare, fennec] : [fennec, bare]) {
        const sample = await load(s, SECONDS);
        results[s.name].push(sample);
        console.log(
          `round ${round} ${s.name.padEnd(6)} ${sample.rps.toFixed(0).padStart(7)} req/s  cpu ${sample.cpuUsPerReq.toFixed(0)} µs/req  p50 ${sample.p50} ms  p99 ${sample.p99} ms  non2xx ${sample.non2xx}  errors ${sample.errors}`,
        );
      }
    }
    const summary = Object.fromEntries(
      Object.entries(results).map(([k, v]) => [
        k,
        {
          rps: median(v.map((x) => x.rps)),
          cpu: median(v.map((x) => x.cpuUsPerReq)),
          p50: median(v.map((x) => x.p50)),
          p99: median(v.map((x) => x.p99)),
          non2xx: v.reduce((a, x) => a + x.non2xx, 0),
        },
      ]),
    );
    console.log('\nmedian of rounds:');
    for (const [k, v] of Object.entries(summary)) {
      console.log(
        `  ${k.padEnd(6)} ${v.rps.toFixed(0).padStart(7)} req/s  cpu ${v.cpu.toFixed(0)} µs/req  p50 ${v.p50} ms  p99 ${v.p99} ms  non2xx ${v.non2xx}`,
      );
    }
    const ratio = summary.fennec.rps / summary.bare.rps;
    console.log(`\nratio fennec/bare throughput: ${ratio.toFixed(3)} (target >= 0.75)`);
    // Throughput needs an idle machine; CPU per request does not: its inverse ratio is the
    // throughput ratio a CPU-bound server would reach.
    console.log(`ratio bare/fennec CPU per request: ${(summary.bare.cpu / summary.fennec.cpu).toFixed(3)}`);
    if (summary.fennec.non2xx > 0)
      console.log('WARNING: fennec answered non-2xx during the run; figures are not comparable');
  } finally {
    bare.child.kill('SIGKILL');
    fennec.child.kill('SIGKILL');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
