/**
 * npm run bench:rag — the embedded RAG store: ingest throughput and lexical search latency at
 * ~10,000 and ~100,000 chunks, and the overhead of Fennec's search path (RagService.search →
 * EmbeddedDocumentStore → MiniSearch, cache off) over calling the store's MiniSearch index
 * directly, in the same run, queries interleaved so machine drift hits both alike.
 *
 * Corpus: the markdown files (READMEs, changelogs, docs) shipped in node_modules — real public
 * text from npm packages, read in sorted order. It holds about 8 MB; the larger size repeats it
 * (each copy a new document id). Env: BENCH_SIZES (10000,100000), BENCH_QUERIES (300), BENCH_FSYNC (true).
 */
import 'reflect-metadata';
import MiniSearch from 'minisearch';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricsConfig } from '../src/platform/metrics/metrics.config';
import { MetricsService } from '../src/platform/metrics/metrics.service';
import { MemoryStateStore } from '../src/platform/state/memory-state-store';
import type { RagConfig } from '../src/services/rag/rag.config';
import { RagService } from '../src/services/rag/rag.service';
import { EmbeddedDocumentStore } from '../src/services/rag/store/embedded-document-store';

const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 300);
const FSYNC = (process.env.BENCH_FSYNC ?? 'true') !== 'false';
const ROOT = join(__dirname, '..');
const CHUNKING = { targetChars: 1000, overlapChars: 150 };
const TOP_K = 5;

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) markdownFiles(path, out);
    else if (name.toLowerCase().endsWith('.md') && st.size > 2048 && st.size < 2_000_000) out.push(path);
  }
  return out;
}

function corpus(): { id: string; text: string }[] {
  const seen = new Set<string>();
  const docs: { id: string; text: string }[] = [];
  for (const path of markdownFiles(join(ROOT, 'node_modules'))) {
    const text = readFileSync(path, 'utf8');
    const hash = createHash('sha1').update(text).digest('hex');
    if (seen.has(hash)) continue;
    seen.add(hash);
    docs.push({ id: hash.slice(0, 16), text });
  }
  return docs;
}

/** Deterministic, phrase-like queries: 2-3 consecutive words (4+ letters) from a random place in a random document. */
function queries(docs: { text: string }[], n: number): string[] {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const out: string[] = [];
  while (out.length < n) {
    const text = docs[Math.floor(next() * docs.length)].text;
    const at = Math.floor(next() * text.length);
    const words =
      text
        .slice(at, at + 200)
        .toLowerCase()
        .match(/\b[a-z]{4,}\b/g) ?? [];
    if (words.length >= 3) out.push(words.slice(1, 2 + Math.ceil(next() * 2)).join(' '));
  }
  return out;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

async function run(size: number, base: { id: string; text: string }[], qs: string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fennec-bench-rag-'));
  const store = new EmbeddedDocumentStore({ dir, fsync: FSYNC, snapshotEvery: 1_000_000 });
  await store.open();
  const config = { chunking: CHUNKING, maxDocumentChars: 5_000_000, searchCacheTtlMs: 0, embedBatch: 64 } as RagConfig;
  const metricsConfig: MetricsConfig = { prefix: 'fennec_', defaultProcessMetrics: false };
  const metrics = new MetricsService(metricsConfig);
  const rag = new RagService(config, store, new MemoryStateStore(), metrics, undefined);

  // Ingest through the service (chunking + durable store) until the corpus reaches `size` chunks.
  let chunks = 0;
  let documents = 0;
  const began = performance.now();
  for (let copy = 0; chunks < size; copy++) {
    for (const doc of base) {
      if (chunks >= size) break;
      const res = await rag.upsert('bench', { id: `${doc.id}-${copy}`, text: doc.text });
      chunks += res.chunks;
      documents++;
    }
  }
  const ingestSeconds = (performance.now() - began) / 1000;

  // The baseline calls the very MiniSearch index the store searches (same data, same heap
  // layout), so the ratio is the cost of Fennec's path alone: service, store, hit mapping, metrics.
  const engine = (store as unknown as { tenants: Map<string, { lexical: MiniSearch }> }).tenants.get('bench')!.lexical;

  const direct: number[] = [];
  const fennec: number[] = [];
  for (const [i, q] of qs.entries()) {
    // Alternate which goes first, so neither always runs on a warmer cache.
    const order = i % 2 === 0 ? ['direct', 'fennec'] : ['fennec', 'direct'];
    for (const which of order) {
      const t = performance.now();
      if (which === 'direct') engine.search(q).slice(0, TOP_K);
      else await rag.search('bench', { query: q, mode: 'lexical', topK: TOP_K });
      (which === 'direct' ? direct : fennec).push(performance.now() - t);
    }
  }
  direct.sort((a, b) => a - b);
  fennec.sort((a, b) => a - b);
  const stats = await store.stats();
  console.log(`\n== ${stats.chunks} chunks in ${stats.documents} documents (fsync ${FSYNC ? 'on' : 'off'}) ==`);
  console.log(
    `ingest: ${(documents / ingestSeconds).toFixed(0)} documents/s, ${(chunks / ingestSeconds).toFixed(0)} chunks/s (${ingestSeconds.toFixed(1)} s)`,
  );
  console.log(`search, MiniSearch direct:  p50 ${fmt(pct(direct, 50))}  p99 ${fmt(pct(direct, 99))}`);
  console.log(`search, Fennec RagService:  p50 ${fmt(pct(fennec, 50))}  p99 ${fmt(pct(fennec, 99))}`);
  console.log(
    `overhead (Fennec / direct): p50 ${(pct(fennec, 50) / pct(direct, 50)).toFixed(2)}x  p99 ${(pct(fennec, 99) / pct(direct, 99)).toFixed(2)}x  (target <= 1.3x)`,
  );
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const base = corpus();
  const qs = queries(base, QUERIES);
  console.log(
    `corpus: ${base.length} markdown files from node_modules, ${(base.reduce((n, d) => n + d.text.length, 0) / 1e6).toFixed(1)} M chars; ${qs.length} queries`,
  );
  for (const size of SIZES) await run(size, base, qs);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
