import { Logger } from '@nestjs/common';
import { IsObject } from 'class-validator';
import { MetricsService } from '../metrics/metrics.service';
import { MemoryStateStore } from '../state/memory-state-store';
import type { StateRecovery } from '../state/state-store';
import { ConfigChangeApplier } from './config-change-applier';
import type { ConfigRecord } from './config-record';
import { ConfigSchema } from './config-schema';
import { ConfigSection } from './config-section';
import type { ConfigSections } from './config-sections';
import { ConfigSync } from './config-sync';
import { ConfigWriter } from './config-writer';
import { mergePatch, type PlainObject } from './merge-patch';
import { ConfigStoreRecoveringError } from './runtime-config.errors';
import { StateConfigPersistence } from './state-config-persistence';

class FlagSettings {
  @IsObject()
  flags: Record<string, unknown> = {};
}

/** A shared store that can lose everything and say so, as Redis restarting empty does. */
class LosingStore extends MemoryStateStore {
  private readonly listeners = new Set<(r: StateRecovery) => void>();

  override onRecovered(listener: (r: StateRecovery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async lose(report: boolean): Promise<void> {
    await this.deleteByPrefix('');
    if (report) for (const l of this.listeners) l({ dataLost: true });
  }
}

/** One instance's runtime config machinery for the `flags` section, on a shared store. */
function instance(store: MemoryStateStore, reseedGraceMs = 0) {
  const logger = new Logger('test');
  const s = new ConfigSection(new ConfigSchema('flags', FlagSettings), undefined);
  const sections = {
    all: () => [s],
    find: (n: string) => (n === 'flags' ? s : undefined),
  } as unknown as ConfigSections;
  const persistence = new StateConfigPersistence(store);
  const applier = new ConfigChangeApplier(
    new MetricsService({ prefix: 'fennec_', defaultProcessMetrics: false }),
    logger,
  );
  const sync = new ConfigSync(
    sections,
    persistence,
    store,
    applier,
    { resyncMs: 600_000, historyLimit: 50, reseedGraceMs },
    logger,
  );
  const writer = new ConfigWriter(persistence, applier, sync, 50);
  const patch = (flags: PlainObject) =>
    writer.write(s, { by: 'test' }, 'api', (current) => ({
      overrides: mergePatch(current.overrides, { flags }) as PlainObject,
      action: 'patch',
    }));
  return { s, sync, applier, persistence, patch, flags: () => (s.effective.flags ?? {}) as PlainObject };
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await check()).toBe(true);
}

describe('Runtime config versions when the shared store loses its data', () => {
  let stopAll: (() => Promise<void>)[] = [];
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(async () => {
    await Promise.all(stopAll.map((stop) => stop()));
    stopAll = [];
  });

  const started = async (store: MemoryStateStore, graceMs = 0) => {
    const i = instance(store, graceMs);
    await i.sync.start();
    stopAll.push(() => i.sync.stop());
    return i;
  };

  it('should build the next version on the one held here, in force here when the write resolves', async () => {
    const store = new LosingStore();
    const a = await started(store);
    const b = await started(store);
    await a.patch({ one: true });
    await a.patch({ two: true });
    await until(() => b.s.record.version === 2);
    await store.lose(false);

    await a.patch({ three: true });
    expect(a.s.record.version).toBe(3);
    expect(a.flags()).toEqual({ one: true, two: true, three: true });
    await until(() => b.s.record.version === 3);
    expect(b.flags()).toEqual({ one: true, two: true, three: true });
    expect((await a.persistence.history('flags', 0, 10)).map((r) => r.version)).toEqual([3, 2]);
  });

  it('should put the version held here back instead of going back when it finds less stored', async () => {
    const store = new LosingStore();
    const a = await started(store);
    await a.patch({ kept: true });
    await store.lose(false);
    await a.sync.reseed(a.s);
    expect(a.s.record.version).toBe(1);
    expect(a.flags()).toEqual({ kept: true });
    expect((await store.getVersioned('config:flags'))?.version).toBe(1);
    expect((await a.persistence.history('flags', 0, 10)).map((r) => r.version)).toEqual([1]);
    // Only the current record lost, the history kept: the version is not listed twice.
    await store.delete('config:flags');
    await a.sync.reseed(a.s);
    expect((await store.getVersioned('config:flags'))?.version).toBe(1);
    expect((await a.persistence.history('flags', 0, 10)).map((r) => r.version)).toEqual([1]);
  });

  it('should refuse writes while the instances put their versions back, then go on from the highest', async () => {
    const store = new LosingStore();
    const a = await started(store, 200);
    const b = await started(store, 200);
    await a.patch({ one: true });
    await b.patch({ two: true });
    await until(() => a.s.record.version === 2 && b.s.record.version === 2);

    await store.lose(true);
    const refused = await a.patch({ three: true }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ConfigStoreRecoveringError);
    expect(refused).toMatchObject({ code: 'CONFIG.STORE_RECOVERING', kind: 'unavailable', retryAfterSeconds: 1 });
    // Both put version 2 back; the first wins, the other finds it there.
    await until(async () => (await store.getVersioned('config:flags'))?.version === 2);
    let accepted = false;
    for (let i = 0; i < 200 && !accepted; i++) {
      accepted = await a.patch({ three: true }).then(
        () => true,
        async (err: unknown) => {
          expect(err).toBeInstanceOf(ConfigStoreRecoveringError);
          await new Promise((r) => setTimeout(r, 10));
          return false;
        },
      );
    }
    expect(accepted).toBe(true);
    expect(a.s.record.version).toBe(3);
    await until(() => b.s.record.version === 3);
  });

  it('should take the stored record of the version held here when it differs: the write held here was lost', async () => {
    const store = new LosingStore();
    const a = instance(store);
    const mine: ConfigRecord = { ...a.s.record, version: 3, overrides: { flags: { mine: true } }, updatedAt: 't1' };
    const theirs: ConfigRecord = { ...mine, overrides: { flags: { theirs: true } }, updatedAt: 't2' };
    await a.applier.applyRecord(a.s, mine, 'api');
    // Never lowered, not even by a resync.
    await a.applier.applyRecord(a.s, { ...mine, version: 2, overrides: {} }, 'resync');
    expect(a.flags()).toEqual({ mine: true });
    await a.applier.applyRecord(a.s, { ...mine }, 'remote');
    expect(a.s.record).toBe(mine);
    await a.applier.applyRecord(a.s, theirs, 'remote');
    expect(a.s.record).toBe(theirs);
    expect(a.flags()).toEqual({ theirs: true });
  });
});
