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
        // Invalidated while running: the run started before the change, so its result answers its
        // own callers but is not stored (it would pass for fresh for a whole TTL).
        if (entry.inflight !== inflight) return value;
        entry.value = value;
        entry.at = this.now();
        entry.inflight = undefined;
        return value;
      },
      (err: unknown) => {
        if (entry.inflight === inflight) entry.inflight = undefined;
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

  /**
   * Forgets the cached value and detaches an in-flight run: the next {@link get} runs afresh, and
   * a run that started before this call completes for its callers without being stored.
   */
  invalidate(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.at = -Infinity;
    entry.inflight = undefined;
  }
}
