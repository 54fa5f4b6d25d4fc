/**
 * npm run bench:http:instructions — the HTTP overhead of bench:http, counted in machine
 * instructions instead of seconds.
 *
 * Runs bare NestJS and Fennec (the same servers and route as `npm run bench:http`) one after the
 * other under callgrind and prints the instructions each executes per request and the ratio
 * bare/Fennec (the throughput ratio a CPU-bound server would reach if every instruction cost
 * the same). Counts do not depend on the machine's load, so this is the figure to compare two
 * versions of the stack with; bench:http stays the one for req/s.
 * Env: BENCH_REQUESTS (2000), BENCH_WARMUP (6000), BENCH_PATH, BENCH_FENNEC_ENV (see fennec-env).
 * Needs valgrind (Debian package `valgrind`); takes 2–4 minutes.
 */
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
  const bare = await countInstructions(
    'bare',
    'bench/servers/bare-server.ts',
    { NODE_ENV: 'production' },
    '/bench/ping?name=fennec',
    headers,
    options,
  );
  print(bare);
  const fennec = await countInstructions(
    'fennec',
    'bench/servers/fennec-server.ts',
    fennecBenchEnv(),
    `${process.env.BENCH_PATH ?? '/bench/ping'}?name=fennec`,
    headers,
    options,
  );
  print(fennec);
  console.log(`\nadded by the Fennec stack: ${fmt(fennec.perRequest - bare.perRequest)} instructions/request`);
  console.log(
    `ratio bare/fennec instructions per request: ${(bare.perRequest / fennec.perRequest).toFixed(3)} (target >= 0.75)`,
  );
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function print(s: InstructionSample): void {
  console.log(
    `${s.name.padEnd(6)} ${fmt(s.perRequest).padStart(10)} instructions/request  (of which ≈ ${fmt(s.backgroundPerRequest)} background work: ${fmt(s.idlePerSecond)}/s when idle)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
