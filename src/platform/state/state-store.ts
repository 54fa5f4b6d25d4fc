/** What {@link StateStore.hitRateLimit} found. */
export interface RateLimitHit {
  /** Hits in the current window (0 when blocked before this hit: it was not counted). */
  count: number;
  /** Ms left in the current window (0 when blocked before this hit). */
  ttlMs: number;
  /** Ms the key stays blocked; 0 when this hit is allowed. */
  blockedMs: number;
}

/** What {@link StateStore.onRecovered} reports. */
export interface StateRecovery {
  /**
   * True when what the backend held is gone: Redis restarted without persistence, was flushed, or
   * this instance now talks to another (empty) server. Keys written before are missing; anything
   * an instance holds locally and must outlive that (runtime config versions) is to be seeded
   * again.
   */
  dataLost: boolean;
}

/**
 * Shared state: what must agree across Fennec instances. `MemoryStateStore` (default, one
 * process) and `RedisStateStore` (REDIS_URL set, many processes) implement the same contract.
 * Every method may reject with `StateUnavailableError` (code STATE.UNAVAILABLE) when the backend
 * is unreachable; callers decide fail-open or fail-closed and document it.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the class below
export interface StateStore {
  readonly backend: 'memory' | 'redis';

  get(key: string): Promise<string | undefined>;
  /** `ttlMs` omitted: the key does not expire. */
  set(key: string, value: string, options?: { ttlMs?: number }): Promise<void>;
  /** Returns whether the key existed. */
  delete(key: string): Promise<boolean>;
  /** Deletes every key starting with `prefix`; returns how many. */
  deleteByPrefix(prefix: string): Promise<number>;

  /**
   * Atomically adds 1 to a fixed-window counter. The window starts with the first increment and
   * lasts `windowMs`; returns the count so far and the ms left in the window.
   */
  increment(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }>;

  /**
   * One hit on a rate limit, atomically, in one round trip: while `key` is blocked, nothing is
   * counted and `blockedMs` says for how long still; otherwise {@link increment} on the key's
   * fixed-window counter, and once the count passes `limit` the key is blocked for `blockMs`.
   * `blockedMs` is 0 when the hit is allowed.
   */
  hitRateLimit(key: string, windowMs: number, limit: number, blockMs: number): Promise<RateLimitHit>;

  /** A value with its version (1 for the first write). */
  getVersioned(key: string): Promise<{ value: string; version: number } | undefined>;
  /**
   * Writes only if the current version is `expectedVersion` (0: the key must not exist).
   * On success returns the new version; on conflict `ok: false` and the current version.
   */
  compareAndSet(key: string, expectedVersion: number, value: string): Promise<{ ok: boolean; version: number }>;

  /**
   * Puts back a versioned value the store lost: writes `value` at exactly `version`, only while the
   * stored version is lower (or the key is missing). Never lowers a version. Returns whether it
   * wrote and the version stored afterwards.
   */
  seedVersioned(key: string, version: number, value: string): Promise<{ ok: boolean; version: number }>;

  /**
   * Replaces the value of a versioned key without changing its version, only while its version is
   * still `version` and its value still `expected`: for rewriting how a value is stored (sealing
   * it again), never for a change of content. Returns whether it was replaced.
   */
  rewriteVersioned(key: string, version: number, expected: string, value: string): Promise<boolean>;

  /** Appends to a list, keeping at most `maxLength` newest entries. */
  pushBounded(key: string, value: string, maxLength: number): Promise<void>;
  /** Newest first: `offset` 0 is the latest entry. */
  range(key: string, offset: number, limit: number): Promise<string[]>;
  /**
   * Replaces the newest entry of a list that equals `expected` with `value`, in place; returns
   * false when no entry equals `expected` (any more).
   */
  replaceInList(key: string, expected: string, value: string): Promise<boolean>;

  publish(channel: string, message: string): Promise<void>;
  /** Resolves once subscribed; the returned function unsubscribes. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;

  /**
   * Calls `listener` each time the backend answers again after it was lost (connection dropped,
   * or a command went unanswered), once both its connections are back and subscriptions are
   * renewed: messages published meanwhile were missed, and with `dataLost` the stored data is gone
   * too. Never called by a backend that cannot lose anything (memory). Returns an unsubscribe.
   */
  onRecovered(listener: (recovery: StateRecovery) => void): () => void;
}

/** DI token of the application's {@link StateStore}. */
export const STATE_STORE = Symbol('STATE_STORE');

/**
 * The same store injected by type: `constructor(private readonly state: StateStore)`, no
 * `@Inject(STATE_STORE)` needed. An interface has no runtime value for Nest to resolve, so this
 * empty class merges with it and serves as the token (StateModule provides it as an alias).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export abstract class StateStore {}
