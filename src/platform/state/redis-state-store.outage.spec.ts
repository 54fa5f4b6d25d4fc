import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { RedisProcess } from './redis-process.testing';
import { RedisStateStore } from './redis-state-store';
import { StateUnavailableError } from './state.errors';

/** Settles with the outcome, or 'hung' if the promise is still pending after `ms`. */
async function outcome<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | 'hung'> {
  const hung = sleep(ms).then(() => 'hung' as const);
  return Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    hung,
  ]);
}

describe(`${RedisStateStore.name} outage`, () => {
  const COMMAND_TIMEOUT_MS = 300;
  let redis: RedisProcess;
  let store: RedisStateStore;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    Logger.overrideLogger(false);
    process.on('unhandledRejection', onUnhandled);
    redis = await RedisProcess.start();
    store = new RedisStateStore({
      url: redis.url,
      keyPrefix: 'outage:',
      connectTimeoutMs: 500,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      reconnectMaxDelayMs: 100,
    });
    expect(await store.waitUntilReady(3000)).toBe(true);
  });

  afterAll(async () => {
    await store?.close();
    redis?.resume();
    await redis?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  it('should fail fast with STATE.UNAVAILABLE while Redis is down, then recover by itself', async () => {
    const received: string[] = [];
    await store.subscribe('events', (m) => received.push(m));
    await store.set('before', '1');

    await redis.stop();
    for (let i = 0; i < 200 && store.connected; i++) await sleep(10);
    expect(store.connected).toBe(false);

    const attempts: Promise<unknown>[] = [
      store.get('before'),
      store.set('x', 'y'),
      store.increment('c', 1000),
      store.hitRateLimit('r', 1000, 5, 1000),
      store.publish('events', 'lost'),
    ];
    for (const attempt of attempts) {
      const result = await outcome(attempt, COMMAND_TIMEOUT_MS * 3);
      expect(result).not.toBe('hung');
      const error = (result as { error?: unknown }).error;
      expect(error).toBeInstanceOf(StateUnavailableError);
      expect(error).toMatchObject({ code: 'STATE.UNAVAILABLE', kind: 'unavailable' });
    }
    await expect(store.subscribe('other', () => undefined)).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StateUnavailableError);

    const resubscribed = once(store, 'resubscribed');
    const recovered = once(store, 'recovered');
    await redis.start();
    expect(await store.waitUntilReady(5000)).toBe(true);
    await resubscribed;
    // The server came back without the epoch marker: the store says its data is gone.
    expect(await recovered).toEqual([{ dataLost: true }]);

    // The server lost everything (no persistence); the client works again and pub/sub is back.
    expect(await store.get('before')).toBeUndefined();
    await store.set('after', '2');
    expect(await store.get('after')).toBe('2');
    await store.publish('events', 'back');
    for (let i = 0; i < 100 && received.length === 0; i++) await sleep(10);
    expect(received).toEqual(['back']);
    expect(unhandled).toEqual([]);
  });

  it('should time out one command to a server that stopped answering, then fail at once until it answers again', async () => {
    const recovered = once(store, 'recovered');
    redis.pause();
    try {
      const first = await outcome(store.get('after'), COMMAND_TIMEOUT_MS * 4);
      expect(first).not.toBe('hung');
      expect((first as { error?: unknown }).error).toMatchObject({ code: 'STATE.UNAVAILABLE' });
      // Twenty more commands in a row take less than one deadline in all: they do not each wait it out.
      const started = performance.now();
      for (let i = 0; i < 20; i++) {
        await expect(store.hitRateLimit('r', 1000, 5, 1000)).rejects.toBeInstanceOf(StateUnavailableError);
      }
      expect(performance.now() - started).toBeLessThan(COMMAND_TIMEOUT_MS);
      await expect(store.ping()).rejects.toBeInstanceOf(StateUnavailableError);
    } finally {
      redis.resume();
    }
    // Back by itself; a paused server kept its data, and says so.
    expect(await recovered).toEqual([{ dataLost: false }]);
    expect(await store.get('after')).toBe('2');
    expect(unhandled).toEqual([]);
  });

  it('should not time out a command whose answer arrived while this process was busy', async () => {
    await store.set('busy', 'yes');
    const pending = store.get('busy');
    // Block the event loop past the deadline: the answer sits in the socket when the timer fires.
    const until = Date.now() + COMMAND_TIMEOUT_MS * 2;
    while (Date.now() < until) {
      /* busy */
    }
    await expect(pending).resolves.toBe('yes');
    expect(store.connected).toBe(true);
  });
});
