/**
 * npm run bench:http:instructions — the HTTP overhead of bench:http, counted in machine
 * instructions instead of seconds.
 *
 * Runs bare NestJS and Fennec (the same servers and route as `npm run bench:http`) one after the
 * other under callgrind and prints the instructions each executes per request and the ratio
 * bare/Fennec (the throughput ratio a CPU-bound server would reach if every instruction cost
 * the same). Counts do not depend on the machine's load, so this is the figure to compare two
 * versions of the stack with; bench:http stays the one for req/s.
 *
 * Tracing: Fennec is counted a second time with OpenTelemetry on (OTLP/HTTP export to a sink in
 * this process, parent-based 10 % sampling), target ≤ 10 % more instructions per request than
 * with tracing off. With BENCH_BASELINE_DIR (a checkout of an earlier commit, with a
 * `node_modules` link) its Fennec is counted too, so "tracing off costs nothing" (target within
 * 1 %) is measured against the code before, in the same run.
 * Env: BENCH_REQUESTS (2000), BENCH_WARMUP (6000), BENCH_PATH, BENCH_FENNEC_ENV (see fennec-env),
 * BENCH_TRACING (1; 0 skips the tracing run), BENCH_BASELINE_DIR, BENCH_BARE (1; 0 skips bare NestJS).
 * Needs valgrind (Debian package `valgrind`); takes 3–8 minutes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { BENCH_KEY, fennecBenchEnv } from './support/fennec-env';
import { countInstructions, hasCallgrind, type InstructionSample } from './support/instruction-count';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
// Enough for V8 to have compiled the hot path: with 3,000 the JIT's own work in the counted
// window moved Fennec's figure by ±7 % between runs, with 6,000 by 0.1 % (two runs).
const WARMUP = Number(process.env.BENCH_WARMUP ?? 6000);

async function main(): Promise<void> {
  if (!hasCallgrind()) {
    console.error('valgrind (callgrind) is not installed: apt-get install valgrind');
    process.exit(2);
  }
  const options = { requests: REQUESTS, warmup: WARMUP };
  const headers = { 'x-api-key': BENCH_KEY };
  const bare =
    process.env.BENCH_BARE === '0'
      ? undefined
      : await countInstructions(
          'bare',
          'bench/servers/bare-server.ts',
          { NODE_ENV: 'production' },
          '/bench/ping?name=fennec',
          headers,
          options,
        );
  if (bare) print(bare);
  const fennec = await countInstructions(
    'fennec',
    'bench/servers/fennec-server.ts',
    fennecBenchEnv(),
    `${process.env.BENCH_PATH ?? '/bench/ping'}?name=fennec`,
    headers,
    options,
  );
  print(fennec);
  if (bare) {
    console.log(`\nadded by the Fennec stack: ${fmt(fennec.perRequest - bare.perRequest)} instructions/request`);
    console.log(
      `ratio bare/fennec instructions per request: ${(bare.perRequest / fennec.perRequest).toFixed(3)} (target >= 0.75)`,
    );
  }

  const baselineDir = process.env.BENCH_BASELINE_DIR;
  if (baselineDir) {
    const before = await countInstructions(
      'before',
      join(resolve(baselineDir), 'bench/servers/fennec-server.ts'),
      fennecBenchEnv(),
      `${process.env.BENCH_PATH ?? '/bench/ping'}?name=fennec`,
      headers,
      options,
    );
    print(before);
    const change = (fennec.perRequest / before.perRequest - 1) * 100;
    console.log(`tracing off vs the code before (${baselineDir}): ${signed(change)} % (target within ±1 %)`);
  }

  if (process.env.BENCH_TRACING !== '0') {
    const sink = await otlpSink();
    try {
      const traced = await countInstructions(
        'trace10',
        'bench/servers/fennec-server.ts',
        {
          ...fennecBenchEnv(),
          OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
          OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.1',
        },
        `${process.env.BENCH_PATH ?? '/bench/ping'}?name=fennec`,
        headers,
        options,
      );
      print(traced);
      const change = (traced.perRequest / fennec.perRequest - 1) * 100;
      console.log(
        `tracing on (10 % sampled, ${sink.exports()} OTLP exports received) vs off: ${signed(change)} % (target <= +10 %)`,
      );
    } finally {
      sink.close();
    }
  }
}

const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(2)}`;

/**
 * Where the traced server exports its spans: an OTLP/HTTP endpoint that reads and accepts every
 * request as a collector would (200, empty response), so export work is counted but never fails.
 */
async function otlpSink(): Promise<{ url: string; exports: () => number; close: () => void }> {
  let exports = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    close: () => server.close(),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function print(s: InstructionSample): void {
  console.log(
    `${s.name.padEnd(7)} ${fmt(s.perRequest).padStart(10)} instructions/request  (of which ≈ ${fmt(s.backgroundPerRequest)} background work: ${fmt(s.idlePerSecond)}/s when idle)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
