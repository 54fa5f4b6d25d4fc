import type { RateLimitHit, StateRecovery, StateStore } from './state-store';

interface Entry {
  value: string;
  /** Epoch ms; undefined: never expires. */
  expiresAt?: number;
}

/**
 * In-process {@link StateStore}: the default when REDIS_URL is unset. Expiry is checked lazily
 * against `Date.now()` (so Jest fake timers drive it); pub/sub delivers on a later microtask, as
 * Redis would deliver asynchronously.
 */
export class MemoryStateStore implements StateStore {
  readonly backend = 'memory' as const;
  private readonly values = new Map<string, Entry>();
  private readonly versioned = new Map<string, { value: string; version: number }>();
  private readonly lists = new Map<string, string[]>();
  private readonly channels = new Map<string, Set<(message: string) => void>>();

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, options: { ttlMs?: number } = {}): Promise<void> {
    const ttl = options.ttlMs;
    this.values.set(key, { value, expiresAt: ttl === undefined ? undefined : Date.now() + Math.max(1, ttl) });
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined || this.versioned.has(key) || this.lists.has(key);
    this.values.delete(key);
    this.versioned.delete(key);
    this.lists.delete(key);
    return existed;
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    const keys = new Set<string>();
    for (const map of [this.values, this.versioned, this.lists]) {
      for (const key of map.keys())
        if (key.startsWith(prefix) && (map !== this.values || this.live(key))) keys.add(key);
    }
    for (const key of keys) await this.delete(key);
    return keys.size;
  }

  async increment(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }> {
    return this.countInWindow(key, windowMs, Date.now());
  }

  async hitRateLimit(key: string, windowMs: number, limit: number, blockMs: number): Promise<RateLimitHit> {
    const now = Date.now();
    const block = this.live(`${key}:blocked`);
    if (block?.expiresAt !== undefined) return { count: 0, ttlMs: 0, blockedMs: block.expiresAt - now };
    const { count, ttlMs } = this.countInWindow(`${key}:hits`, windowMs, now);
    if (count <= limit) return { count, ttlMs, blockedMs: 0 };
    const blocked = Math.max(1, blockMs);
    this.values.set(`${key}:blocked`, { value: '1', expiresAt: now + blocked });
    return { count, ttlMs, blockedMs: blocked };
  }

  /** The fixed-window count both `increment` and `hitRateLimit` use (synchronous: one promise each). */
  private countInWindow(key: string, windowMs: number, now: number): { count: number; ttlMs: number } {
    const current = this.live(key);
    if (current === undefined) {
      this.values.set(key, { value: '1', expiresAt: now + windowMs });
      return { count: 1, ttlMs: windowMs };
    }
    const count = Number(current.value) + 1;
    current.value = String(count);
    current.expiresAt ??= now + windowMs;
    return { count, ttlMs: current.expiresAt - now };
  }

  async getVersioned(key: string): Promise<{ value: string; version: number } | undefined> {
    const entry = this.versioned.get(key);
    return entry && { ...entry };
  }

  async compareAndSet(key: string, expectedVersion: number, value: string): Promise<{ ok: boolean; version: number }> {
    const version = this.versioned.get(key)?.version ?? 0;
    if (version !== expectedVersion) return { ok: false, version };
    this.versioned.set(key, { value, version: version + 1 });
    return { ok: true, version: version + 1 };
  }

  async seedVersioned(key: string, version: number, value: string): Promise<{ ok: boolean; version: number }> {
    const current = this.versioned.get(key)?.version ?? 0;
    if (current >= version) return { ok: false, version: current };
    this.versioned.set(key, { value, version });
    return { ok: true, version };
  }

  async rewriteVersioned(key: string, version: number, expected: string, value: string): Promise<boolean> {
    const entry = this.versioned.get(key);
    if (entry?.version !== version || entry.value !== expected) return false;
    this.versioned.set(key, { value, version });
    return true;
  }

  async pushBounded(key: string, value: string, maxLength: number): Promise<void> {
    const list = this.lists.get(key) ?? [];
    list.unshift(value);
    list.length = Math.min(list.length, Math.max(0, maxLength));
    this.lists.set(key, list);
  }

  async range(key: string, offset: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    return (this.lists.get(key) ?? []).slice(offset, offset + limit);
  }

  async replaceInList(key: string, expected: string, value: string): Promise<boolean> {
    const list = this.lists.get(key);
    const at = list?.indexOf(expected) ?? -1;
    if (at < 0) return false;
    list![at] = value;
    return true;
  }

  async publish(channel: string, message: string): Promise<void> {
    for (const handler of [...(this.channels.get(channel) ?? [])]) {
      void Promise.resolve().then(() => handler(message));
    }
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    // Wrapped so the same function subscribed twice is two subscriptions, as with Redis handlers.
    const wrapped = (message: string) => handler(message);
    const set = this.channels.get(channel) ?? new Set();
    set.add(wrapped);
    this.channels.set(channel, set);
    return async () => {
      set.delete(wrapped);
      if (set.size === 0 && this.channels.get(channel) === set) this.channels.delete(channel);
    };
  }

  /** This process's memory is never lost while the process runs: `listener` is never called. */
  onRecovered(listener: (recovery: StateRecovery) => void): () => void {
    void listener;
    return () => undefined;
  }

  private live(key: string): Entry | undefined {
    const entry = this.values.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }
}
