import type { DocumentStore, EmbeddedChunkRef } from '../rag';
import { SeededReservoir } from './compute/sampling';

export interface EmbeddingSample {
  chunks: Omit<EmbeddedChunkRef, 'embedding'>[];
  /** n × dim, row-major, on a SharedArrayBuffer so the worker thread reads it without a copy. */
  data: Float32Array;
  dim: number;
  candidates: number;
  skippedOtherDimensions: number;
}

/** Signal checks and event-loop yields during a scan, every this many chunks. */
const YIELD_EVERY = 2_000;

/**
 * A seeded uniform sample of a tenant's embedded chunks matching a filter, drawn while streaming
 * the store (reservoir): memory holds the sample, not the corpus. Vectors of another length than
 * the first one met (documents embedded by another model) are left out and counted.
 */
export async function sampleEmbeddings(
  store: DocumentStore,
  tenant: string,
  options: { filter?: Record<string, string | number | boolean>; size: number; seed: number; signal?: AbortSignal },
): Promise<EmbeddingSample> {
  const reservoir = new SeededReservoir<EmbeddedChunkRef>(options.size, options.seed);
  let dim = 0;
  let skipped = 0;
  let scanned = 0;
  for await (const chunk of store.scanEmbeddings(tenant, options.filter)) {
    if (++scanned % YIELD_EVERY === 0) {
      options.signal?.throwIfAborted();
      await new Promise((r) => setImmediate(r));
    }
    if (dim === 0) dim = chunk.embedding.length;
    if (chunk.embedding.length !== dim) {
      skipped++;
      continue;
    }
    reservoir.offer(chunk);
  }
  options.signal?.throwIfAborted();
  const picked = reservoir.sample();
  const data = new Float32Array(new SharedArrayBuffer(picked.length * dim * Float32Array.BYTES_PER_ELEMENT));
  const chunks = picked.map(({ embedding, ...rest }, i) => {
    data.set(embedding, i * dim);
    return rest;
  });
  return { chunks, data, dim, candidates: reservoir.seen, skippedOtherDimensions: skipped };
}
