interface Entry<T> {
  value?: T;
  /** When `value` was produced (completion time of the run). */
  at: number;
  inflight?: Promise<T>;
}

/**
 * Caches one async result per key for a TTL; concurrent callers of an expired key share one
 * in-flight run (single-flight), so the request rate never multiplies the run rate.
 * `run` must not reject (health checks turn errors into DOWN reports before they get here).
 */
export class SingleFlightCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string, ttlMs: number, run: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key) ?? { at: -Infinity };
    if (entry.value !== undefined && this.now() - entry.at < ttlMs) return Promise.resolve(entry.value);
    if (entry.inflight) return entry.inflight;
    this.entries.set(key, entry);
    const inflight = run().then(
      (value) => {
        entry.value = value;
        entry.at = this.now();
        entry.inflight = undefined;
        return value;
      },
      (err: unknown) => {
        entry.inflight = undefined;
        throw err;
      },
    );
    entry.inflight = inflight;
    return inflight;
  }

  /** The last value for `key`, however old (undefined if none yet). */
  peek(key: string): T | undefined {
    return this.entries.get(key)?.value;
  }

  /** Forgets the cached value (an in-flight run still completes and is stored). */
  invalidate(key: string): void {
    const entry = this.entries.get(key);
    if (entry) entry.at = -Infinity;
  }
}
