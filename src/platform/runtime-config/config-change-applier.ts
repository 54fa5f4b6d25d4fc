import type { Logger } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { MetricsService } from '../metrics/metrics.service';
import type { ConfigRecord } from './config-record';
import type { ConfigSection } from './config-section';
import { changedFields } from './merge-patch';

/** Where a change came from: the `source` label of the change metric and of the change log. */
export type ChangeSource = 'api' | 'rollback' | 'remote' | 'resync' | 'file';

/**
 * Puts changes into force in this process: queued one at a time per service, each recomposes the
 * section and, if the effective values changed, is counted, logged and passed to the service's
 * `onConfigChange(next, previous)` hook. Owns the change, hook-failure and version metrics.
 */
export class ConfigChangeApplier {
  private readonly changes: Counter<'service' | 'source'>;
  private readonly hookFailures: Counter<'service'>;
  private readonly versions: Gauge<'service'>;

  constructor(
    metrics: MetricsService,
    private readonly logger: Logger,
  ) {
    this.changes = new Counter({
      name: metrics.name('config_changes_total'),
      help: 'Runtime configuration changes applied in this instance, by service and source (api, rollback, remote, resync, file)',
      labelNames: ['service', 'source'],
      registers: [metrics.registry],
    });
    this.hookFailures = new Counter({
      name: metrics.name('config_hook_failures_total'),
      help: 'onConfigChange hooks that threw, by service',
      labelNames: ['service'],
      registers: [metrics.registry],
    });
    this.versions = new Gauge({
      name: metrics.name('config_version'),
      help: 'Runtime configuration version in force in this instance, by service',
      labelNames: ['service'],
      registers: [metrics.registry],
    });
  }

  /** Runs `task` after every change already queued for `s`. */
  enqueue(s: ConfigSection, task: () => Promise<void>): Promise<void> {
    const run = s.queue.then(task);
    s.queue = run.catch(() => undefined);
    return run;
  }

  /** At boot: puts the stored `record` in force without calling the hook or counting a change. */
  adopt(s: ConfigSection, record: ConfigRecord): void {
    s.record = record;
    s.effective = s.compose();
    this.versions.set({ service: s.name }, record.version);
  }

  /**
   * Puts `record` in force if it is newer than the version in force here. Never an older one: a
   * version, once in force, is never lowered (a store that holds less lost data; see ConfigSync).
   * The same version with other contents replaces it too: the store's record won over the one held
   * here (the store lost this one's write, and another instance wrote that version first).
   */
  applyRecord(s: ConfigSection, record: ConfigRecord, source: ChangeSource): Promise<void> {
    if (record.version < s.record.version || sameRecord(record, s.record)) return Promise.resolve();
    if (record.version === s.record.version) {
      this.logger.warn(
        { service: s.name, version: record.version, lost: { updatedAt: s.record.updatedAt, by: s.record.updatedBy } },
        'runtime config version held here was lost with the shared store; another write of that version is in force',
      );
    }
    return this.recompose(s, source, () => (s.record = record));
  }

  /** Changes a layer, recomposes, and if the effective values changed tells the service. */
  async recompose(s: ConfigSection, source: ChangeSource, mutate: () => void): Promise<void> {
    const previous = s.effective;
    mutate();
    const next = s.compose();
    s.effective = next;
    this.versions.set({ service: s.name }, s.record.version);
    const fields = changedFields(previous, next);
    if (fields.length === 0) return;
    this.changes.inc({ service: s.name, source });
    this.logger.log(
      { service: s.name, version: s.record.version, source, fields, by: s.record.updatedBy },
      `configuration of ${s.name} changed`,
    );
    try {
      await s.instance?.onConfigChange?.(next, previous);
    } catch (err) {
      this.hookFailures.inc({ service: s.name });
      this.logger.error({ err, service: s.name }, 'onConfigChange hook failed; the new values stay in force');
    }
  }
}

/** Same version, written at the same moment by the same caller: the same accepted change. */
export function sameRecord(a: ConfigRecord, b: ConfigRecord): boolean {
  return a.version === b.version && a.updatedAt === b.updatedAt && a.updatedBy === b.updatedBy;
}
