import { setTimeout as sleep } from 'node:timers/promises';
import type { StateStore } from './state-store';

/** What a contract run needs: a fresh store per file and a way to clean up after it. */
export interface ContractSubject {
  store: StateStore;
  cleanup(): Promise<void>;
}

let seq = 0;
/** A key no other test (or run) uses. */
const unique = (name: string) => `${name}:${process.pid}:${Date.now().toString(36)}:${++seq}`;

/**
 * Waits until `predicate` holds, polling; pub/sub delivery and expiry are asynchronous on every
 * backend. (test/support/eventually.ts is off limits here: src never imports test/.)
 */
async function eventually(predicate: () => boolean | Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/**
 * The {@link StateStore} contract, run against every implementation so they cannot drift apart.
 * Uses real (short) time: TTLs are enforced by the backend (Redis), not by this process.
 */
export function describeStateStoreContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`StateStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: StateStore;

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(() => subject?.cleanup());

    describe('key/value', () => {
      it('should return undefined for a missing key', async () => {
        expect(await store.get(unique('missing'))).toBeUndefined();
      });

      it('should store, overwrite and read a value', async () => {
        const key = unique('kv');
        await store.set(key, 'one');
        await store.set(key, 'two ✓');
        expect(await store.get(key)).toBe('two ✓');
      });

      it('should expire a value after its ttl and keep one without ttl', async () => {
        const short = unique('ttl');
        const forever = unique('no-ttl');
        // Long enough to be read back on a loaded CI machine, short enough to wait for.
        await store.set(short, 'x', { ttlMs: 500 });
        await store.set(forever, 'y');
        expect(await store.get(short)).toBe('x');
        await sleep(550);
        await eventually(async () => (await store.get(short)) === undefined);
        expect(await store.get(short)).toBeUndefined();
        expect(await store.get(forever)).toBe('y');
      });

      it('should report whether delete removed something', async () => {
        const key = unique('del');
        await store.set(key, 'x');
        expect(await store.delete(key)).toBe(true);
        expect(await store.delete(key)).toBe(false);
        expect(await store.get(key)).toBeUndefined();
      });

      it('should delete exactly the keys under a prefix, even with glob characters in it', async () => {
        const prefix = unique('pre*[x]?') + ':';
        await Promise.all([store.set(`${prefix}a`, '1'), store.set(`${prefix}b`, '2'), store.set(`${prefix}c`, '3')]);
        const sibling = prefix.slice(0, -1) + 'Z';
        await store.set(sibling, 'keep');
        expect(await store.deleteByPrefix(prefix)).toBe(3);
        expect(await store.get(`${prefix}a`)).toBeUndefined();
        expect(await store.get(sibling)).toBe('keep');
        expect(await store.deleteByPrefix(prefix)).toBe(0);
      });
    });

    describe('increment', () => {
      it('should count within a window and report the time left', async () => {
        const key = unique('ctr');
        expect(await store.increment(key, 10_000)).toEqual({ count: 1, ttlMs: 10_000 });
        const second = await store.increment(key, 10_000);
        expect(second.count).toBe(2);
        expect(second.ttlMs).toBeGreaterThan(0);
        expect(second.ttlMs).toBeLessThanOrEqual(10_000);
      });

      it('should start a new window after the old one ends', async () => {
        const key = unique('ctr-window');
        await store.increment(key, 40);
        await store.increment(key, 40);
        await sleep(120);
        expect((await store.increment(key, 40)).count).toBe(1);
      });

      it('should never lose or repeat a count under concurrency', async () => {
        const key = unique('ctr-race');
        const results = await Promise.all(Array.from({ length: 50 }, () => store.increment(key, 10_000)));
        expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      });
    });

    describe('hitRateLimit', () => {
      it('should count up to the limit, block past it without counting, then start afresh', async () => {
        const key = unique('rl');
        // A block long enough to still hold on the next call on a loaded CI machine.
        const BLOCK = 600;
        expect(await store.hitRateLimit(key, 10_000, 2, BLOCK)).toEqual({ count: 1, ttlMs: 10_000, blockedMs: 0 });
        expect((await store.hitRateLimit(key, 10_000, 2, BLOCK)).count).toBe(2);
        const over = await store.hitRateLimit(key, 10_000, 2, BLOCK);
        expect(over).toMatchObject({ count: 3, blockedMs: BLOCK });
        // Blocked: not counted, and the time left is reported.
        const blocked = await store.hitRateLimit(key, 10_000, 2, BLOCK);
        expect(blocked.count).toBe(0);
        expect(blocked.blockedMs).toBeGreaterThan(0);
        expect(blocked.blockedMs).toBeLessThanOrEqual(BLOCK);
        await sleep(BLOCK + 100);
        // The block is over; the window (10 s) is not, so counting resumes where it was.
        expect(await store.hitRateLimit(key, 10_000, 2, BLOCK)).toMatchObject({ count: 4, blockedMs: BLOCK });
      });

      it('should start a new window after the old one ends', async () => {
        const key = unique('rl-window');
        await store.hitRateLimit(key, 40, 5, 1000);
        await sleep(120);
        expect(await store.hitRateLimit(key, 40, 5, 1000)).toEqual({ count: 1, ttlMs: 40, blockedMs: 0 });
      });

      it('should let exactly `limit` of many concurrent hits through', async () => {
        const key = unique('rl-race');
        const hits = await Promise.all(Array.from({ length: 30 }, () => store.hitRateLimit(key, 10_000, 10, 10_000)));
        expect(hits.filter((h) => h.blockedMs === 0)).toHaveLength(10);
        expect(hits.filter((h) => h.blockedMs > 0)).toHaveLength(20);
      });
    });

    describe('versioned values', () => {
      it('should have no version before the first write', async () => {
        expect(await store.getVersioned(unique('ver-none'))).toBeUndefined();
      });

      it('should create at version 1 only when 0 is expected, then advance one by one', async () => {
        const key = unique('ver');
        expect(await store.compareAndSet(key, 1, 'nope')).toEqual({ ok: false, version: 0 });
        expect(await store.compareAndSet(key, 0, 'a')).toEqual({ ok: true, version: 1 });
        expect(await store.compareAndSet(key, 0, 'b')).toEqual({ ok: false, version: 1 });
        expect(await store.compareAndSet(key, 1, 'c')).toEqual({ ok: true, version: 2 });
        expect(await store.getVersioned(key)).toEqual({ value: 'c', version: 2 });
      });

      it('should let exactly one of many concurrent writers win', async () => {
        const key = unique('ver-race');
        await store.compareAndSet(key, 0, 'base');
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.compareAndSet(key, 1, `w${i}`)));
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.every((r) => r.version === 2)).toBe(true);
        const winner = results.findIndex((r) => r.ok);
        expect(await store.getVersioned(key)).toEqual({ value: `w${winner}`, version: 2 });
      });

      it('should seed a lost version at exactly that version, never lowering one', async () => {
        const key = unique('ver-seed');
        expect(await store.seedVersioned(key, 5, 'five')).toEqual({ ok: true, version: 5 });
        expect(await store.getVersioned(key)).toEqual({ value: 'five', version: 5 });
        expect(await store.seedVersioned(key, 5, 'other five')).toEqual({ ok: false, version: 5 });
        expect(await store.seedVersioned(key, 3, 'three')).toEqual({ ok: false, version: 5 });
        expect(await store.getVersioned(key)).toEqual({ value: 'five', version: 5 });
        // Writers go on from the seeded version.
        expect(await store.compareAndSet(key, 5, 'six')).toEqual({ ok: true, version: 6 });
        expect(await store.seedVersioned(key, 7, 'seven')).toEqual({ ok: true, version: 7 });
        expect(await store.getVersioned(key)).toEqual({ value: 'seven', version: 7 });
      });

      it('should rewrite a value in place, keeping its version, only while version and value are as read', async () => {
        const key = unique('ver-rewrite');
        expect(await store.rewriteVersioned(key, 0, '', 'x')).toBe(false);
        expect(await store.getVersioned(key)).toBeUndefined();
        await store.compareAndSet(key, 0, 'a');
        expect(await store.rewriteVersioned(key, 1, 'a', 'a-sealed')).toBe(true);
        expect(await store.getVersioned(key)).toEqual({ value: 'a-sealed', version: 1 });
        expect(await store.rewriteVersioned(key, 1, 'a', 'stale')).toBe(false);
        await store.compareAndSet(key, 1, 'b');
        expect(await store.rewriteVersioned(key, 1, 'a-sealed', 'stale')).toBe(false);
        expect(await store.getVersioned(key)).toEqual({ value: 'b', version: 2 });
        // The next compare-and-set still expects the version as it was.
        expect(await store.compareAndSet(key, 2, 'c')).toEqual({ ok: true, version: 3 });
      });
    });

    describe('bounded lists', () => {
      it('should keep the newest entries, newest first, paged by offset and limit', async () => {
        const key = unique('list');
        for (let i = 1; i <= 7; i++) await store.pushBounded(key, `e${i}`, 5);
        expect(await store.range(key, 0, 10)).toEqual(['e7', 'e6', 'e5', 'e4', 'e3']);
        expect(await store.range(key, 1, 2)).toEqual(['e6', 'e5']);
        expect(await store.range(key, 4, 3)).toEqual(['e3']);
        expect(await store.range(key, 0, 0)).toEqual([]);
        expect(await store.range(unique('list-none'), 0, 5)).toEqual([]);
      });

      it('should replace the newest equal entry in place, and report an entry that is gone', async () => {
        const key = unique('list-replace');
        for (const e of ['a', 'b', 'a']) await store.pushBounded(key, e, 5);
        expect(await store.replaceInList(key, 'a', 'A')).toBe(true);
        expect(await store.range(key, 0, 5)).toEqual(['A', 'b', 'a']);
        expect(await store.replaceInList(key, 'zz', 'Z')).toBe(false);
        expect(await store.replaceInList(unique('list-none'), 'a', 'A')).toBe(false);
        expect(await store.range(key, 0, 5)).toEqual(['A', 'b', 'a']);
      });
    });

    describe('publish/subscribe', () => {
      it('should deliver to every subscriber of the channel and only to them', async () => {
        const channel = unique('chan');
        const a: string[] = [];
        const b: string[] = [];
        const other: string[] = [];
        const offA = await store.subscribe(channel, (m) => a.push(m));
        const offB = await store.subscribe(channel, (m) => b.push(m));
        const offOther = await store.subscribe(unique('chan-other'), (m) => other.push(m));
        await store.publish(channel, '{"n":1}');
        await eventually(() => a.length === 1 && b.length === 1);
        expect(a).toEqual(['{"n":1}']);
        expect(other).toEqual([]);
        await Promise.all([offA(), offB(), offOther()]);
      });

      it('should stop delivering after unsubscribe, leaving other subscribers alone', async () => {
        const channel = unique('chan-off');
        const gone: string[] = [];
        const kept: string[] = [];
        const off = await store.subscribe(channel, (m) => gone.push(m));
        const offKept = await store.subscribe(channel, (m) => kept.push(m));
        await off();
        await store.publish(channel, 'after');
        await eventually(() => kept.length === 1);
        await sleep(20);
        expect(gone).toEqual([]);
        await offKept();
      });
    });
  });
}
