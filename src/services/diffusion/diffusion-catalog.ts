import type { UpstreamPool } from '../../platform/upstream';
import { A1111 } from './a1111-client';
import type { A1111Checkpoint, A1111Sampler, A1111Scheduler } from './a1111.types';

/** What the instances offer: checkpoints, samplers and schedulers. */
export interface DiffusionCatalogEntries {
  models: A1111Checkpoint[];
  samplers: A1111Sampler[];
  schedulers: A1111Scheduler[];
  fetchedAt: number;
}

/**
 * `GET /sdapi/v1/sd-models`, `/samplers` and `/schedulers`, cached for DIFFUSION_CATALOG_TTL_MS
 * (one refresh at a time; a failed refresh keeps serving the last good lists). Read from any
 * instance of the pool: the instances of one deployment are expected to carry the same models.
 */
export class DiffusionCatalog {
  private current?: DiffusionCatalogEntries;
  private refreshing?: Promise<DiffusionCatalogEntries>;

  constructor(
    private readonly pool: () => Pick<UpstreamPool, 'request'>,
    private readonly ttlMs: number,
  ) {}

  async get(): Promise<DiffusionCatalogEntries> {
    const now = Date.now();
    if (this.current && now - this.current.fetchedAt < this.ttlMs) return this.current;
    try {
      return await this.refresh();
    } catch (err) {
      if (this.current) return this.current;
      throw err;
    }
  }

  /** Fetches the lists now (concurrent callers share one fetch). */
  refresh(): Promise<DiffusionCatalogEntries> {
    this.refreshing ??= (async () => {
      const pool = this.pool();
      const [models, samplers, schedulers] = await Promise.all([
        A1111.list<A1111Checkpoint>(pool, 'sd-models'),
        A1111.list<A1111Sampler>(pool, 'samplers'),
        A1111.list<A1111Scheduler>(pool, 'schedulers'),
      ]);
      this.current = { models, samplers, schedulers, fetchedAt: Date.now() };
      return this.current;
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  clear(): void {
    this.current = undefined;
  }
}

/** Does `name` (a title, model name with or without `.safetensors`/`.ckpt`, or hash) name `m`? */
export function namesCheckpoint(m: A1111Checkpoint, name: string): boolean {
  const bare = name.replace(/\.(safetensors|ckpt)$/, '');
  return m.title === name || m.model_name === bare || (!!m.hash && m.hash === name) || m.sha256 === name;
}

/** A sampler by name or alias (case-insensitive, as A1111's `all_samplers_map`). */
export function findSampler(samplers: A1111Sampler[], name: string): A1111Sampler | undefined {
  const n = name.toLowerCase();
  return samplers.find((s) => s.name.toLowerCase() === n || (s.aliases ?? []).some((a) => a.toLowerCase() === n));
}

export function findScheduler(schedulers: A1111Scheduler[], name: string): A1111Scheduler | undefined {
  const n = name.toLowerCase();
  return schedulers.find(
    (s) => s.name.toLowerCase() === n || s.label?.toLowerCase() === n || (s.aliases ?? []).some((a) => a === name),
  );
}
