import { Logger } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { escapeGlob, REDIS_SCRIPTS } from './redis-scripts';
import type { RateLimitHit, StateRecovery, StateStore } from './state-store';
import { StateUnavailableError } from './state.errors';

/** Connection settings of {@link RedisStateStore}. */
export interface RedisStateStoreOptions {
  url: string;
  /** Prepended to every key and channel. */
  keyPrefix: string;
  connectTimeoutMs: number;
  /**
   * Longest a command may wait for its answer. Past it the command fails with STATE.UNAVAILABLE
   * and the connection is dropped and re-established, so later commands fail at once instead of
   * each waiting as long, until the server answers again.
   */
  commandTimeoutMs: number;
  reconnectMaxDelayMs: number;
}

type ScriptCommands = {
  fennecIncrementWindow(key: string, windowMs: number): Promise<[number, number]>;
  fennecHitRateLimit(
    counter: string,
    block: string,
    windowMs: number,
    limit: number,
    blockMs: number,
  ): Promise<[number, number, number]>;
  fennecCompareAndSet(key: string, expected: number, value: string): Promise<[number, number]>;
  fennecSeedVersioned(key: string, version: number, value: string): Promise<[number, number]>;
  fennecEpoch(key: string, candidate: string): Promise<string>;
  fennecPushBounded(key: string, value: string, maxLength: number): Promise<number>;
  fennecRewriteVersioned(key: string, version: number, expected: string, value: string): Promise<number>;
  fennecReplaceInList(key: string, expected: string, value: string): Promise<number>;
};

/** Key (under the prefix) of the marker that tells a server that kept its data from one that lost it. */
export const STATE_EPOCH_KEY = 'state:epoch';

/** Redis errors that mean "the server cannot serve right now", not "the command is wrong". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * {@link StateStore} on Redis, for many instances. Fails fast: no offline queue, no retry, no
 * resend after a reconnect (a command that timed out must not run again behind its caller's
 * back), and a deadline per command after which the connection is re-established; every failure
 * to reach Redis rejects with {@link StateUnavailableError}. Reconnects by itself with capped
 * exponential backoff. Pub/sub uses a second connection (a subscribed connection cannot run other
 * commands) whose channels are re-subscribed after every reconnect.
 *
 * Tells a server that kept its data from one that lost it by an epoch marker
 * ({@link STATE_EPOCH_KEY}) read after every reconnect: gone or changed means the data is gone.
 *
 * Emits `ready` (a connection usable after a loss), `down` (a connection lost), `resubscribed`
 * and `recovered` ({@link StateRecovery}) for observers such as health.
 */
export class RedisStateStore extends EventEmitter implements StateStore {
  readonly backend = 'redis' as const;
  private readonly logger = new Logger('state');
  private readonly client: Redis & ScriptCommands;
  private readonly subscriber: Redis;
  private readonly handlers = new Map<string, Set<(message: string) => void>>();
  private closed = false;
  private lastError?: string;
  /** The data epoch last seen on the server; undefined until the first contact. */
  private epoch?: string;
  /** True from a loss until {@link recover} has seen both connections back. */
  private lost = true;
  private recovering?: Promise<void>;
  private resubscribing: Promise<void> = Promise.resolve();

  constructor(private readonly options: RedisStateStoreOptions) {
    super();
    const common: RedisOptions = {
      connectTimeout: options.connectTimeoutMs,
      // Deadlines are enforced per command by run(): see there.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      retryStrategy: (times) => backoff(times, options.reconnectMaxDelayMs),
      lazyConnect: true,
    };
    this.client = new Redis(options.url, {
      ...common,
      connectionName: 'fennec-state',
      scripts: REDIS_SCRIPTS,
    }) as Redis & ScriptCommands;
    this.subscriber = new Redis(options.url, { ...common, connectionName: 'fennec-state-sub' });
    this.watch(this.client, 'command');
    this.watch(this.subscriber, 'subscriber');
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    this.subscriber.on('ready', () => {
      this.resubscribing = this.resubscribe();
    });
    for (const conn of [this.client, this.subscriber]) conn.on('ready', () => this.scheduleRecovery());
    for (const conn of [this.client, this.subscriber]) {
      // The first attempt's failure is reported through 'error' and retried by retryStrategy.
      conn.connect().catch(() => undefined);
    }
  }

  /** True when commands can be sent (the command connection is ready). */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  /** Connection states and the last connection error, for health reports. */
  describe(): { command: string; subscriber: string; lastError?: string } {
    return { command: this.client.status, subscriber: this.subscriber.status, lastError: this.lastError };
  }

  /** Resolves true once both connections are ready, or false after `timeoutMs`. Never rejects. */
  waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.bothReady()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (this.bothReady()) done(true);
      };
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.client.off('ready', check);
        this.subscriber.off('ready', check);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.client.on('ready', check);
      this.subscriber.on('ready', check);
    });
  }

  /** Round trip on the existing command connection; rejects with StateUnavailableError. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.run(() => this.client.ping());
    return performance.now() - started;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.run(() => this.client.get(this.k(key)))) ?? undefined;
  }

  async set(key: string, value: string, options: { ttlMs?: number } = {}): Promise<void> {
    const ttl = options.ttlMs;
    await this.run(() =>
      ttl === undefined
        ? this.client.set(this.k(key), value)
        : this.client.set(this.k(key), value, 'PX', Math.max(1, ttl)),
    );
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run(() => this.client.del(this.k(key)))) > 0;
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    const match = escapeGlob(this.k(prefix)) + '*';
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.run(() => this.client.scan(cursor, 'MATCH', match, 'COUNT', 500));
      if (keys.length > 0) deleted += await this.run(() => this.client.unlink(...keys));
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  }

  async increment(key: string, windowMs: number): Promise<{ count: number; ttlMs: number }> {
    const [count, ttlMs] = await this.run(() => this.client.fennecIncrementWindow(this.k(key), Math.max(1, windowMs)));
    return { count: Number(count), ttlMs: Number(ttlMs) };
  }

  async hitRateLimit(key: string, windowMs: number, limit: number, blockMs: number): Promise<RateLimitHit> {
    const [count, ttlMs, blockedMs] = await this.run(() =>
      this.client.fennecHitRateLimit(
        this.k(`${key}:hits`),
        this.k(`${key}:blocked`),
        Math.max(1, windowMs),
        limit,
        Math.max(1, blockMs),
      ),
    );
    return { count: Number(count), ttlMs: Number(ttlMs), blockedMs: Number(blockedMs) };
  }

  async getVersioned(key: string): Promise<{ value: string; version: number } | undefined> {
    const [value, version] = await this.run(() => this.client.hmget(this.k(key), 'val', 'ver'));
    return value === null || version === null ? undefined : { value, version: Number(version) };
  }

  async seedVersioned(key: string, version: number, value: string): Promise<{ ok: boolean; version: number }> {
    const [ok, stored] = await this.run(() => this.client.fennecSeedVersioned(this.k(key), version, value));
    return { ok: Number(ok) === 1, version: Number(stored) };
  }

  onRecovered(listener: (recovery: StateRecovery) => void): () => void {
    this.on('recovered', listener);
    return () => this.off('recovered', listener);
  }

  async compareAndSet(key: string, expectedVersion: number, value: string): Promise<{ ok: boolean; version: number }> {
    const [ok, version] = await this.run(() => this.client.fennecCompareAndSet(this.k(key), expectedVersion, value));
    return { ok: Number(ok) === 1, version: Number(version) };
  }

  async rewriteVersioned(key: string, version: number, expected: string, value: string): Promise<boolean> {
    const replaced = await this.run(() => this.client.fennecRewriteVersioned(this.k(key), version, expected, value));
    return Number(replaced) === 1;
  }

  async pushBounded(key: string, value: string, maxLength: number): Promise<void> {
    if (maxLength <= 0) {
      await this.delete(key);
      return;
    }
    await this.run(() => this.client.fennecPushBounded(this.k(key), value, maxLength));
  }

  async range(key: string, offset: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    return this.run(() => this.client.lrange(this.k(key), offset, offset + limit - 1));
  }

  async replaceInList(key: string, expected: string, value: string): Promise<boolean> {
    return Number(await this.run(() => this.client.fennecReplaceInList(this.k(key), expected, value))) === 1;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run(() => this.client.publish(this.k(channel), message));
  }

  /**
   * Resolves once Redis confirmed the subscription. Rejects with StateUnavailableError when the
   * subscriber connection is down; then nothing is registered and the caller retries. Once
   * subscribed, the channel survives reconnects.
   */
  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    const name = this.k(channel);
    const wrapped = (message: string) => handler(message);
    let set = this.handlers.get(name);
    const first = set === undefined;
    if (first) {
      await this.run(() => this.subscriber.subscribe(name), this.subscriber);
      set = this.handlers.get(name) ?? new Set();
      this.handlers.set(name, set);
    }
    set!.add(wrapped);
    return async () => {
      set!.delete(wrapped);
      if (set!.size > 0 || this.handlers.get(name) !== set) return;
      this.handlers.delete(name);
      if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(name).catch(() => undefined);
    };
  }

  /** Closes both connections; pending commands reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    const closeOne = async (conn: Redis): Promise<void> => {
      if (conn.status !== 'ready') return conn.disconnect();
      await conn.quit().catch(() => conn.disconnect());
    };
    await Promise.all([closeOne(this.client), closeOne(this.subscriber)]);
  }

  private k(key: string): string {
    return this.options.keyPrefix + key;
  }

  /**
   * Runs one command against a deadline. Hand-written rather than ioredis's `commandTimeout`
   * because of when the deadline is judged: once the timer fires, the decision waits for the
   * event loop's check phase (`setImmediate`), after the poll phase has read the sockets, so an
   * answer that arrived while this process was busy (a loaded machine) is taken, and only a
   * server that really did not answer times out. A timeout drops the connection (ioredis
   * reconnects it): while the server stays silent, the new connection is not ready and commands
   * fail at once instead of each waiting out the deadline.
   */
  private async run<T>(command: () => Promise<T>, conn: Redis = this.client): Promise<T> {
    if (conn.status !== 'ready') {
      throw new StateUnavailableError(`Shared state (Redis) is unavailable: connection ${conn.status}`);
    }
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const pending = command().finally(() => (settled = true));
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          setImmediate(() => {
            if (settled) return;
            reject(
              new StateUnavailableError(
                `Shared state (Redis) is unavailable: no answer within ${this.options.commandTimeoutMs} ms`,
              ),
            );
            this.unresponsive(conn);
          }),
        this.options.commandTimeoutMs,
      );
    });
    try {
      return await Promise.race([pending, deadline]);
    } catch (err) {
      throw toStateError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A command went unanswered: drop the connection so the next commands fail fast. */
  private unresponsive(conn: Redis): void {
    if (this.closed || conn.status !== 'ready') return;
    this.lastError = `no answer within ${this.options.commandTimeoutMs} ms`;
    this.logger.warn(
      { role: conn === this.client ? 'command' : 'subscriber', timeoutMs: this.options.commandTimeoutMs },
      'state backend stopped answering; reconnecting',
    );
    // Destroyed, not ended: ending waits for the silent server's FIN and keeps the status `ready`.
    conn.stream.destroy(new Error(this.lastError));
  }

  /** After a connection came back: once both are, check the data epoch and report the recovery. */
  private scheduleRecovery(): void {
    if (!this.lost || this.recovering || this.closed) return;
    this.recovering = this.recover().then((early) => {
      this.recovering = undefined;
      // A connection became ready while this attempt found the other one not ready yet.
      if (early && this.bothReady()) this.scheduleRecovery();
    });
  }

  private bothReady(): boolean {
    return this.client.status === 'ready' && this.subscriber.status === 'ready';
  }

  /** Resolves true when it stopped early because a connection was not ready. */
  private async recover(): Promise<boolean> {
    if (!this.bothReady()) return true;
    await this.resubscribing;
    let stored: string | undefined;
    try {
      stored = await this.run(() => this.client.fennecEpoch(this.k(STATE_EPOCH_KEY), randomUUID()));
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'state recovery check failed');
      // The connection is gone again: its next 'ready' tries again. Any other refusal (a Redis
      // out of memory cannot write the marker) would stay: recover without knowing about the data.
      if (err instanceof StateUnavailableError) return false;
    }
    if (!this.bothReady()) return true;
    const dataLost = this.epoch !== undefined && stored !== undefined && stored !== this.epoch;
    this.epoch = stored ?? this.epoch;
    this.lost = false;
    if (dataLost) this.logger.warn({}, 'state backend lost its data (restarted empty or flushed)');
    const recovery: StateRecovery = { dataLost };
    try {
      this.emit('recovered', recovery);
    } catch (err) {
      this.logger.error({ err }, 'state recovery listener threw');
    }
    return false;
  }

  private dispatch(channel: string, message: string): void {
    for (const handler of [...(this.handlers.get(channel) ?? [])]) {
      try {
        handler(message);
      } catch (err) {
        this.logger.error({ err, channel }, 'state subscriber threw');
      }
    }
  }

  private async resubscribe(): Promise<void> {
    const channels = [...this.handlers.keys()];
    if (channels.length === 0) return;
    try {
      await this.subscriber.subscribe(...channels);
      this.logger.log({ channels: channels.length }, 'state pub/sub resubscribed');
      this.emit('resubscribed', channels.length);
    } catch (err) {
      // The next 'ready' (after the reconnect this failure implies) tries again.
      this.logger.warn({ err: String(err) }, 'state pub/sub resubscribe failed');
    }
  }

  private watch(conn: Redis, role: string): void {
    let wasReady = false;
    conn.on('ready', () => {
      if (wasReady) return;
      wasReady = true;
      this.lastError = undefined;
      this.logger.log({ role }, 'state backend connected');
      this.emit('ready', role);
    });
    conn.on('close', () => {
      if (!wasReady || this.closed) return;
      wasReady = false;
      this.lost = true;
      this.logger.warn({ role }, 'state backend connection lost; reconnecting');
      this.emit('down', role);
    });
    conn.on('error', (err: Error) => {
      // Without a listener ioredis would only swallow these; keep the cause for health details.
      this.lastError = err.message;
    });
  }
}

/** Capped exponential backoff from 50 ms with up to 20% jitter, so instances do not reconnect in lockstep. */
export function backoff(attempt: number, maxMs: number): number {
  const base = Math.min(maxMs, 50 * 2 ** Math.min(attempt - 1, 16));
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

function toStateError(err: unknown): Error {
  if (err instanceof StateUnavailableError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ReplyError' && !TRANSIENT_REPLY.test(e.message)) return e;
  return new StateUnavailableError(`Shared state (Redis) is unavailable: ${e.message}`, { cause: e });
}
