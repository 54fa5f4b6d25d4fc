import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConfigValidationError } from '../config/env-namespace';
import type { StateRecovery, StateStore } from '../state/state-store';
import type { ChangeSource, ConfigChangeApplier } from './config-change-applier';
import { INITIAL_RECORD, type ConfigPersistence, type ConfigRecord } from './config-record';
import type { ConfigSection } from './config-section';
import type { ConfigSections } from './config-sections';
import { ConfigSecretUnreadableError, ConfigStoreRecoveringError } from './runtime-config.errors';

/** Channel on which accepted changes are announced to every instance. */
export const CONFIG_CHANNEL = 'config:changed';
const SUBSCRIBE_RETRY_MS = 1000;

/** Timing of {@link ConfigSync}. */
export interface ConfigSyncOptions {
  /** Period of the safety-net re-read of every service. */
  resyncMs: number;
  /** Versions kept per service (a version put back is added to the history). */
  historyLimit: number;
  /** After the store lost its data: how long writes are refused while every instance puts its versions back. */
  reseedGraceMs: number;
}

/**
 * Keeps this instance's runtime layers in step with the stored records: loads them at boot and,
 * when the records are shared with other instances, announces accepted changes on
 * {@link CONFIG_CHANNEL}, refreshes a service when another instance announces a change to it, and
 * resyncs every service periodically and whenever the store comes back after an outage.
 *
 * A version is never lowered: when the store holds an older version than the one in force here
 * (Redis restarted empty), this instance puts its own back ({@link ConfigPersistence.seed}) and
 * announces it, instead of going back. After the store reported losing its data, writes are
 * refused ({@link assertWritable}) for `reseedGraceMs`, so that every instance has put back what
 * it holds before a new version number is handed out.
 */
export class ConfigSync {
  private readonly instanceId = randomUUID();
  private unsubscribe?: () => Promise<void>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private offRecovered?: () => void;
  private stopped = false;
  /** Writes are refused until then (epoch ms), and while `reseeding` runs. */
  private recoveringUntil = 0;
  private reseeding?: Promise<void>;

  constructor(
    private readonly sections: ConfigSections,
    private readonly persistence: ConfigPersistence,
    private readonly store: StateStore,
    private readonly applier: ConfigChangeApplier,
    private readonly options: ConfigSyncOptions,
    private readonly logger: Logger,
  ) {}

  /** Stored records; a sealed secret that no configured key opens fails boot, naming the service. */
  async loadRecords(): Promise<void> {
    const unreadable: string[] = [];
    await Promise.all(
      this.sections.all().map(async (s) => {
        try {
          const record = (await this.persistence.read(s.name)) ?? INITIAL_RECORD;
          const errors = s.schema.validate(s.compose({ overrides: record.overrides }));
          if (errors.length > 0) {
            this.logger.error(
              { service: s.name, version: record.version, errors },
              'stored runtime config is invalid; ignored',
            );
            return;
          }
          this.applier.adopt(s, record);
        } catch (err) {
          if (err instanceof ConfigSecretUnreadableError) {
            unreadable.push(err.message);
            return;
          }
          this.logger.warn(
            { err: String(err), service: s.name },
            'stored runtime config unavailable; using defaults until resync',
          );
        }
      }),
    );
    if (unreadable.length > 0) throw new ConfigValidationError(unreadable);
  }

  /** Subscribes to change notices and starts the periodic resync; only when records are shared. */
  async start(): Promise<void> {
    if (!this.persistence.shared) return;
    this.offRecovered = this.store.onRecovered((recovery) => this.onRecovered(recovery));
    await this.subscribe();
    this.every(this.options.resyncMs, () => this.resyncAll());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offRecovered?.();
    for (const t of this.timers) clearTimeout(t);
    await this.unsubscribe?.().catch(() => undefined);
  }

  async announce(service: string, version: number): Promise<void> {
    if (!this.persistence.shared) return;
    try {
      await this.store.publish(CONFIG_CHANNEL, JSON.stringify({ service, version, origin: this.instanceId }));
    } catch (err) {
      // Accepted and persisted already; other instances pick it up at their next resync.
      this.logger.warn({ err: String(err), service, version }, 'could not broadcast config change');
    }
  }

  /**
   * @throws ConfigStoreRecoveringError (503, Retry-After) while the store is being refilled after
   * it lost its data
   */
  assertWritable(): void {
    const waitMs = Math.max(this.recoveringUntil - Date.now(), this.reseeding ? 1 : 0);
    if (waitMs <= 0) return;
    throw new ConfigStoreRecoveringError(
      'Shared state lost its data and the instances are restoring the configuration versions they hold; try again shortly',
      { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
    );
  }

  /**
   * Puts the version in force here back into the store if the store holds an older one; resolves
   * once done (or found unnecessary). Runs in the service's change queue.
   */
  reseed(s: ConfigSection): Promise<void> {
    return this.applier.enqueue(s, async () => {
      const stored = (await this.persistence.read(s.name)) ?? INITIAL_RECORD;
      await this.reconcile(s, stored, 'resync');
    });
  }

  private onRecovered({ dataLost }: StateRecovery): void {
    if (this.stopped) return;
    if (dataLost) {
      this.recoveringUntil = Date.now() + this.options.reseedGraceMs;
      this.logger.warn(
        { graceMs: this.options.reseedGraceMs },
        'shared state lost its data; restoring runtime config versions, writes refused meanwhile',
      );
    }
    // Notices published while this instance was cut off were missed: read everything again.
    const run = this.resyncAll().finally(() => {
      if (this.reseeding === run) this.reseeding = undefined;
    });
    if (dataLost) this.reseeding = run;
  }

  /** Applies `stored` if newer; puts the version held here back if `stored` is older. */
  private async reconcile(s: ConfigSection, stored: ConfigRecord, source: ChangeSource): Promise<void> {
    if (stored.version >= s.record.version) {
      await this.applier.applyRecord(s, stored, source);
      return;
    }
    if (await this.persistence.seed(s.name, s.record, this.options.historyLimit)) {
      this.logger.warn(
        { service: s.name, version: s.record.version, stored: stored.version },
        'runtime config version put back into the shared store, which had lost it',
      );
      await this.announce(s.name, s.record.version);
      return;
    }
    // Another instance put back or wrote a version meanwhile: take it if it is newer.
    const now = (await this.persistence.read(s.name)) ?? INITIAL_RECORD;
    if (now.version >= s.record.version) await this.applier.applyRecord(s, now, source);
  }

  private onMessage(message: string): void {
    let event: { service?: unknown; origin?: unknown };
    try {
      event = JSON.parse(message) as typeof event;
    } catch {
      return;
    }
    if (event.origin === this.instanceId || typeof event.service !== 'string') return;
    const s = this.sections.find(event.service);
    if (s) void this.refresh(s, 'remote');
  }

  private refresh(s: ConfigSection, source: ChangeSource): Promise<void> {
    return this.applier
      .enqueue(s, async () => {
        const record = (await this.persistence.read(s.name)) ?? INITIAL_RECORD;
        await this.reconcile(s, record, source);
      })
      .catch((err: unknown) => {
        // A secret no key opens is a misconfiguration to fix, not a passing outage.
        if (err instanceof ConfigSecretUnreadableError) this.logger.error({ service: s.name }, err.message);
        else this.logger.debug({ err: String(err), service: s.name }, 'config refresh failed');
      });
  }

  private async resyncAll(): Promise<void> {
    await Promise.all(this.sections.all().map((s) => this.refresh(s, 'resync')));
  }

  private async subscribe(): Promise<void> {
    try {
      this.unsubscribe = await this.store.subscribe(CONFIG_CHANNEL, (m) => this.onMessage(m));
    } catch (err) {
      this.logger.warn({ err: String(err) }, 'cannot subscribe to config changes yet; retrying');
      this.after(SUBSCRIBE_RETRY_MS, async () => {
        await this.subscribe();
        if (this.unsubscribe) await this.resyncAll();
      });
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    this.after(ms, async () => {
      await task();
      this.every(ms, task);
    });
  }

  private after(ms: number, task: () => Promise<void>): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped)
        task().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'runtime config task failed'));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
