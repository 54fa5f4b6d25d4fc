import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ConfigValidationError } from '../config/env-namespace';
import type { StateStore } from '../state/state-store';
import type { ChangeSource, ConfigChangeApplier } from './config-change-applier';
import { INITIAL_RECORD, type ConfigPersistence } from './config-record';
import type { ConfigSection } from './config-section';
import type { ConfigSections } from './config-sections';
import { ConfigSecretUnreadableError } from './runtime-config.errors';

/** Channel on which accepted changes are announced to every instance. */
export const CONFIG_CHANNEL = 'config:changed';
const SUBSCRIBE_RETRY_MS = 1000;

/**
 * Keeps this instance's runtime layers in step with the stored records: loads them at boot and,
 * when the records are shared with other instances, announces accepted changes on
 * {@link CONFIG_CHANNEL}, refreshes a service when another instance announces a change to it, and
 * resyncs every service periodically.
 */
export class ConfigSync {
  private readonly instanceId = randomUUID();
  private unsubscribe?: () => Promise<void>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly sections: ConfigSections,
    private readonly persistence: ConfigPersistence,
    private readonly store: StateStore,
    private readonly applier: ConfigChangeApplier,
    private readonly resyncMs: number,
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
    await this.subscribe();
    this.every(this.resyncMs, () => this.resyncAll());
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
        await this.applier.applyRecord(s, record, source);
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
