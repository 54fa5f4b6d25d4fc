/**
 * npm run bench:security — CPU cost of input threat inspection and API-key lookup, in-process.
 *
 * Inspection: `inspectInput` over a realistic JSON body (a chat request with prose, code words and
 * a URL), against the baseline every request already pays for that body, `JSON.parse` of its
 * text. API keys: one lookup among N configured keys (hash + timing-safe compare of every entry)
 * against the baseline of the SHA-256 alone. Env: BENCH_SECONDS (2 per measurement).
 */
import { createHash } from 'node:crypto';
import { ApiKeyAuthenticator, hashApiKey } from '../src/platform/security/auth/api-key.authenticator';
import type { AuthConfig } from '../src/platform/security/auth/auth.config';
import { inspectInput } from '../src/platform/security/inspection/input-inspector';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

function opsPerSecond(fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up the JIT
  let ops = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    ops += 100;
  }
  return ops / SECONDS;
}

const body = {
  model: 'llama3',
  title: "Patrick O'Brien's quarterly update",
  messages: [
    { role: 'system', content: 'You are a helpful assistant. Answer briefly and cite sources.' },
    {
      role: 'user',
      content:
        'Please select the three most important points from the report below, update the title, and set the id ' +
        'of the form to 42. See https://example.com/reports/2026?id=7&sort=desc for the full file. '.repeat(6),
    },
  ],
  options: { temperature: 0.2, tags: ['select', 'update', 'union', 'file'] },
};
const text = JSON.stringify(body);

function report(name: string, subject: number, baseline: number, baselineName: string): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  process.stdout.write(
    `${name}: ${fmt(subject)} ops/s vs ${baselineName} ${fmt(baseline)} ops/s → ` +
      `${(1e6 / subject).toFixed(1)} µs each, ${(baseline / subject).toFixed(2)}× the baseline\n`,
  );
}

const parse = opsPerSecond(() => JSON.parse(text));
const inspect = opsPerSecond(() =>
  inspectInput({ body: JSON.parse(text), query: { q: 'union station' }, params: { id: '42' } }),
);
process.stdout.write(`body: ${text.length} bytes\n`);
report('parse + inspect', inspect, parse, 'JSON.parse');

for (const n of [10, 100]) {
  const apiKeys = Array.from({ length: n }, (_, i) => ({
    id: `k${i}`,
    hash: Buffer.from(hashApiKey(`key-${i}`), 'hex'),
    roles: ['viewer' as const],
    tenant: 't',
  }));
  const config: AuthConfig = { apiKeys, jwt: undefined, devMode: false, metricsPublic: true };
  const auth = new ApiKeyAuthenticator(config);
  const sha = opsPerSecond(() =>
    createHash('sha256')
      .update(`key-${n - 1}`)
      .digest(),
  );
  const lookup = opsPerSecond(() => auth.authenticate(`key-${n - 1}`));
  report(`API key lookup among ${n}`, lookup, sha, 'sha256 alone');
}
