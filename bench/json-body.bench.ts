/**
 * npm run bench:json-body — CPU cost of parsing a request body with its bounds (nesting depth,
 * key count, prototype keys), in-process, on bodies of three sizes.
 *
 * - baseline: what body-parser's JSON parser did before bounds existed, `JSON.parse` with the
 *   prototype-key reviver on every body;
 * - `parseJsonText` (what the body parser runs): one pass over the text counting nesting and keys,
 *   then `JSON.parse`, with the reviver only when the text holds an escape or a suspicious key;
 * - the alternative the brief allowed: keys counted inside the reviver (which cannot see depth,
 *   so a pre-pass for depth would come on top of it).
 * Env: BENCH_SECONDS (2 per measurement).
 */
import { rejectPrototypeKeys } from '../src/platform/errors/body-parser-errors';
import { parseJsonText } from '../src/platform/http/json-text';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const LIMITS = { maxDepth: 64, maxKeys: 10_000 };

function opsPerSecond(fn: () => unknown): number {
  for (let i = 0; i < 2000; i++) fn(); // warm up the JIT
  let ops = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) fn();
    ops += 20;
  }
  return ops / SECONDS;
}

const chat = JSON.stringify({
  model: 'llama3.2:3b',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Why is the sky blue? Answer in two sentences.' },
  ],
  stream: true,
});
const document = JSON.stringify({
  id: 'handbook-7',
  text: 'Foxes are small omnivorous mammals. They live in forests, grasslands and cities. '.repeat(120),
  metadata: { source: 'wiki', lang: 'en', tags: ['animals', 'mammals', 'foxes'] },
});
const batch = JSON.stringify({
  items: Array.from({ length: 400 }, (_, i) => ({
    id: `item-${i}`,
    text: `Entry ${i}: a short paragraph of text to summarise, with some words in it.`,
    options: { maxSentences: 2, mode: 'extractive' },
  })),
});

function reviverCountingKeys(): (key: string, value: unknown) => unknown {
  let keys = 0;
  return function (this: unknown, key: string, value: unknown) {
    if (!Array.isArray(this) && ++keys > LIMITS.maxKeys) throw new SyntaxError('too many keys');
    return rejectPrototypeKeys(key, value);
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
for (const [name, text] of [
  ['chat request', chat],
  ['document', document],
  ['batch of 400 items', batch],
] as const) {
  const baseline = opsPerSecond(() => JSON.parse(text, rejectPrototypeKeys));
  const bounded = opsPerSecond(() => parseJsonText(text, LIMITS));
  const inReviver = opsPerSecond(() => JSON.parse(text, reviverCountingKeys()));
  process.stdout.write(
    `${name} (${text.length} bytes): JSON.parse+reviver ${fmt(baseline)} ops/s; ` +
      `parseJsonText ${fmt(bounded)} ops/s (${(baseline / bounded).toFixed(2)}× the baseline's time); ` +
      `keys in the reviver ${fmt(inReviver)} ops/s (${(baseline / inReviver).toFixed(2)}×, no depth bound)\n`,
  );
}
