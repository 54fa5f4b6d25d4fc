import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Counter, Gauge } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { appConfig, type AppConfig } from '../config/app.config';
import { ConfigValidationError } from '../config/env-namespace';
import { RequestValidationError } from '../errors/common.errors';
import type { FieldError } from '../errors/fennec-error';
import { MetricsService } from '../metrics/metrics.service';
import { ManagedService } from '../registry/managed-service.decorator';
import type { ManagedLifecycle } from '../registry/managed-service.types';
import { STATE_STORE, type StateStore } from '../state/state-store';
import { ConfigFileSource } from './config-file-source';
import { CONFIG_PERSISTENCE, INITIAL_RECORD, type ConfigPersistence, type ConfigRecord } from './config-record';
import { ConfigSchema } from './config-schema';
import { ConfigSection, type ConfigSource } from './config-section';
import { changedFields, isPlainObject, mergePatch, type PlainObject } from './merge-patch';
import { runtimeConfigEnv, type RuntimeConfigEnvConfig } from './runtime-config.config';
import { SealingConfigPersistence } from './sealing-config-persistence';
import { SecretSealer } from './secret-sealer';
import { applyStaticLayers } from './static-layers';
import {
  ConfigSecretUnreadableError,
  ConfigServiceNotFoundError,
  ConfigVersionConflictError,
  ConfigVersionNotFoundError,
} from './runtime-config.errors';

/** Channel on which accepted changes are announced to every instance. */
export const CONFIG_CHANNEL = 'config:changed';
const WRITE_ATTEMPTS = 5;
const SUBSCRIBE_RETRY_MS = 1000;

/** What the config API shows for one service. */
export interface ConfigSnapshot {
  service: string;
  version: number;
  values: PlainObject;
  updatedAt: string;
  updatedBy: string;
  sources: Record<string, ConfigSource>;
}

export interface WriteOptions {
  /** Expected current version (`If-Match`); a different current version is a conflict. */
  ifMatch?: number;
  /** Who made the change (caller id), for history and logs. */
  by: string;
}

type ChangeSource = 'api' | 'rollback' | 'remote' | 'resync' | 'file';

/**
 * Runtime configuration of every managed service that declares `config` in `@ManagedService`.
 * Values layer as defaults < FENNEC_CONFIG_FILE < `FENNEC_<SERVICE>__<FIELD>` env < runtime
 * changes. Runtime changes are validated, versioned (compare-and-set), persisted, applied through
 * the service's `onConfigChange(next, previous)` hook and broadcast to the other instances.
 *
 * Services read current values with {@link get}, from `onModuleInit` of their own module on.
 */
@Injectable()
export class RuntimeConfigService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('runtime-config');
  private readonly sections = new Map<string, ConfigSection>();
  private readonly instanceId = randomUUID();
  private readonly changes: Counter<'service' | 'source'>;
  private readonly hookFailures: Counter<'service'>;
  private readonly versions: Gauge<'service'>;
  private fileSource?: ConfigFileSource;
  private unsubscribe?: () => Promise<void>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private destroyed = false;
  private readonly sealer?: SecretSealer;
  /** The stored records, with `@Secret()` fields sealed at rest when a key is configured. */
  private readonly persistence: ConfigPersistence;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(STATE_STORE) private readonly store: StateStore,
    @Inject(CONFIG_PERSISTENCE) stored: ConfigPersistence,
    @Inject(runtimeConfigEnv.KEY) private readonly env: RuntimeConfigEnvConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    metrics: MetricsService,
  ) {
    if (env.secretsKey) this.sealer = new SecretSealer(env.secretsKey, env.previousSecretsKeys);
    this.persistence = new SealingConfigPersistence(
      stored,
      this.sealer,
      (service) => this.sections.get(service)?.schema.secrets ?? new Set(),
    );
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

  async onModuleInit(): Promise<void> {
    this.discover();
    this.reportSealing();
    this.loadStaticLayers();
    await this.loadRecords();
    if (this.persistence.shared) {
      await this.subscribe();
      this.every(this.env.resyncMs, () => this.resyncAll());
    }
    this.fileSource?.watch(() => this.reloadFile());
  }

  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    for (const t of this.timers) clearTimeout(t);
    this.fileSource?.close();
    await this.unsubscribe?.().catch(() => undefined);
  }

  /** Current effective values of `service` (deep-frozen). Throws CONFIG.SERVICE_NOT_FOUND. */
  get<T = PlainObject>(service: string): T {
    return this.section(service).effective as T;
  }

  /** Names of the services with runtime configuration. */
  services(): string[] {
    return [...this.sections.keys()].sort();
  }

  snapshot(service: string): ConfigSnapshot {
    const s = this.section(service);
    return {
      service: s.name,
      version: s.record.version,
      values: s.schema.mask(s.effective),
      updatedAt: s.record.updatedAt,
      updatedBy: s.record.updatedBy,
      sources: s.sources(),
    };
  }

  /** Accepted versions, newest first, with runtime values (secrets masked). */
  async history(service: string, offset: number, limit: number): Promise<ConfigRecord[]> {
    const s = this.section(service);
    const entries = await this.persistence.history(service, offset, limit);
    return entries.map((e) => ({ ...e, overrides: s.schema.mask(e.overrides) }));
  }

  /**
   * Applies a JSON merge patch (`null` clears a runtime value) to the runtime layer. Invalid
   * values are a VALIDATION.FAILED naming each field, and nothing changes.
   */
  async patch(service: string, patch: unknown, options: WriteOptions): Promise<ConfigSnapshot> {
    const s = this.section(service);
    if (!isPlainObject(patch)) {
      throw new RequestValidationError('The body must be a JSON object of settings', {
        fieldErrors: [{ field: '(body)', message: 'must be a JSON object' }],
      });
    }
    this.rejectInvalid(s, s.schema.unknownFields(patch));
    return this.write(s, options, 'api', (current) => ({
      overrides: mergePatch(current.overrides, patch) as PlainObject,
      action: 'patch',
    }));
  }

  /** Restores the runtime values of `version` (0: no runtime values) as a new version. */
  async rollback(service: string, version: number, options: WriteOptions): Promise<ConfigSnapshot> {
    const s = this.section(service);
    let target: ConfigRecord | undefined = version === 0 ? INITIAL_RECORD : undefined;
    for (let offset = 0; !target && offset < this.env.historyLimit; offset += 50) {
      const page = await this.persistence.history(service, offset, 50);
      target = page.find((r) => r.version === version);
      if (page.length < 50) break;
    }
    if (!target) {
      throw new ConfigVersionNotFoundError(`${service} has no version ${version} in its history`);
    }
    const overrides = target.overrides;
    return this.write(s, options, 'rollback', () => ({ overrides, action: 'rollback', rolledBackTo: version }));
  }

  private async write(
    s: ConfigSection,
    options: WriteOptions,
    source: ChangeSource,
    change: (current: ConfigRecord) => Pick<ConfigRecord, 'overrides' | 'action' | 'rolledBackTo'>,
  ): Promise<ConfigSnapshot> {
    for (let attempt = 1; attempt <= WRITE_ATTEMPTS; attempt++) {
      const current = (await this.persistence.read(s.name)) ?? INITIAL_RECORD;
      if (options.ifMatch !== undefined && options.ifMatch !== current.version) {
        throw new ConfigVersionConflictError(current.version);
      }
      const next = change(current);
      this.rejectInvalid(s, s.schema.validate(s.compose({ overrides: next.overrides })));
      const record: ConfigRecord = {
        version: current.version + 1,
        ...next,
        updatedAt: new Date().toISOString(),
        updatedBy: options.by,
        changed: changedFields(current.overrides, next.overrides),
      };
      if (await this.persistence.write(s.name, current.version, record, this.env.historyLimit)) {
        await this.enqueue(s, () => this.applyRecord(s, record, source));
        await this.announce(s.name, record.version);
        return this.snapshot(s.name);
      }
      if (options.ifMatch !== undefined) {
        throw new ConfigVersionConflictError(((await this.persistence.read(s.name)) ?? INITIAL_RECORD).version);
      }
    }
    throw new ConfigVersionConflictError(-1, `Too many concurrent changes to ${s.name}; try again`);
  }

  private rejectInvalid(s: ConfigSection, errors: FieldError[]): void {
    if (errors.length === 0) return;
    const fields = [...new Set(errors.map((e) => e.field))].join(', ');
    throw new RequestValidationError(`Invalid ${s.name} configuration: ${fields}`, { fieldErrors: errors });
  }

  private applyRecord(s: ConfigSection, record: ConfigRecord, source: ChangeSource): Promise<void> {
    if (record.version === s.record.version) return Promise.resolve();
    if (record.version < s.record.version && source !== 'resync') return Promise.resolve();
    return this.recompose(s, source, () => (s.record = record));
  }

  /** Changes a layer, recomposes, and if the effective values changed tells the service. */
  private async recompose(s: ConfigSection, source: ChangeSource, mutate: () => void): Promise<void> {
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

  private enqueue(s: ConfigSection, task: () => Promise<void>): Promise<void> {
    const run = s.queue.then(task);
    s.queue = run.catch(() => undefined);
    return run;
  }

  private async announce(service: string, version: number): Promise<void> {
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
    const s = this.sections.get(event.service);
    if (s) void this.refresh(s, 'remote');
  }

  private refresh(s: ConfigSection, source: ChangeSource): Promise<void> {
    return this.enqueue(s, async () => {
      const record = (await this.persistence.read(s.name)) ?? INITIAL_RECORD;
      await this.applyRecord(s, record, source);
    }).catch((err: unknown) => {
      // A secret no key opens is a misconfiguration to fix, not a passing outage.
      if (err instanceof ConfigSecretUnreadableError) this.logger.error({ service: s.name }, err.message);
      else this.logger.debug({ err: String(err), service: s.name }, 'config refresh failed');
    });
  }

  private async resyncAll(): Promise<void> {
    await Promise.all([...this.sections.values()].map((s) => this.refresh(s, 'resync')));
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

  private discover(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: ManagedService.KEY })) {
      const options = this.discovery.getMetadataByDecorator(ManagedService, wrapper);
      if (!options?.config) continue;
      if (this.sections.has(options.name)) throw new Error(`Two managed services are named "${options.name}"`);
      const schema = new ConfigSchema(options.name, options.config);
      this.sections.set(options.name, new ConfigSection(schema, wrapper.instance as ManagedLifecycle | undefined));
    }
  }

  /** Env and file layers; anything invalid fails boot with every problem named. */
  private loadStaticLayers(): void {
    if (this.env.file) this.fileSource = new ConfigFileSource(this.env.file, this.env.filePollMs);
    const file = this.fileSource?.read() ?? {};
    const problems = applyStaticLayers(this.sections, this.env.serviceEnv, file, this.env.file, this.logger);
    if (problems.length > 0) throw new ConfigValidationError(problems);
  }

  /** Stored records; a sealed secret that no configured key opens fails boot, naming the service. */
  private async loadRecords(): Promise<void> {
    const unreadable: string[] = [];
    await Promise.all(
      [...this.sections.values()].map(async (s) => {
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
          s.record = record;
          s.effective = s.compose();
          this.versions.set({ service: s.name }, record.version);
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

  private reportSealing(): void {
    const withSecrets = [...this.sections.values()].filter((s) => s.schema.secrets.size > 0).map((s) => s.name);
    if (this.sealer) {
      this.logger.log({ keyId: this.sealer.keyId, services: withSecrets }, 'runtime config secrets are sealed at rest');
    } else if (this.app.production && withSecrets.length > 0) {
      this.logger.warn(
        { services: withSecrets },
        'runtime config secrets are stored in clear: set RUNTIME_CONFIG_SECRETS_KEY to seal them at rest',
      );
    }
  }

  private reloadFile(): void {
    if (!this.fileSource || this.destroyed) return;
    let file: Record<string, PlainObject>;
    try {
      file = this.fileSource.read();
      for (const [service, layer] of Object.entries(file)) {
        const s = this.sections.get(service);
        if (!s) continue;
        this.rejectInvalid(s, [...s.schema.unknownFields(layer), ...s.schema.validate(s.compose({ file: layer }))]);
      }
    } catch (err) {
      this.logger.error({ err: String(err), file: this.env.file }, 'config file change rejected; previous values stay');
      return;
    }
    for (const s of this.sections.values()) {
      const layer = file[s.name] ?? {};
      void this.enqueue(s, () => this.recompose(s, 'file', () => (s.file = layer)));
    }
  }

  private section(service: string): ConfigSection {
    const s = this.sections.get(service);
    if (!s) throw new ConfigServiceNotFoundError(`No service named "${service}" has runtime configuration`);
    return s;
  }

  private every(ms: number, task: () => Promise<void>): void {
    this.after(ms, async () => {
      await task();
      this.every(ms, task);
    });
  }

  private after(ms: number, task: () => Promise<void>): void {
    if (this.destroyed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.destroyed)
        task().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'runtime config task failed'));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}
