import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { appConfig, type AppConfig } from '../config/app.config';
import { RequestValidationError } from '../errors/common.errors';
import { MetricsService } from '../metrics/metrics.service';
import { ContributesOpenApi, type OpenApiContributor } from '../openapi/openapi-contributor';
import { STATE_STORE, type StateStore } from '../state/state-store';
import { ConfigChangeApplier } from './config-change-applier';
import { ConfigHistory } from './config-history';
import { configJsonSchema, configPatchSchema, type JsonSchema } from './config-json-schema';
import { CONFIG_PERSISTENCE, type ConfigPersistence, type ConfigRecord } from './config-record';
import type { ConfigSource } from './config-section';
import { ConfigSections } from './config-sections';
import { ConfigSync } from './config-sync';
import { ConfigWriter, type WriteOptions } from './config-writer';
import { isPlainObject, mergePatch, type PlainObject } from './merge-patch';
import { rejectInvalid } from './reject-invalid';
import { runtimeConfigEnv, type RuntimeConfigEnvConfig } from './runtime-config.config';
import { SealingConfigPersistence } from './sealing-config-persistence';
import { SecretSealer } from './secret-sealer';
import { StaticLayers } from './static-layers';

export { CONFIG_CHANNEL } from './config-sync';
export type { WriteOptions } from './config-writer';

/** What the config API shows for one service. */
export interface ConfigSnapshot {
  service: string;
  version: number;
  values: PlainObject;
  updatedAt: string;
  updatedBy: string;
  sources: Record<string, ConfigSource>;
}

/**
 * Runtime configuration of every managed service that declares `config` in `@ManagedService`.
 * Values layer as defaults < FENNEC_CONFIG_FILE < `FENNEC_<SERVICE>__<FIELD>` env < runtime
 * changes. Runtime changes are validated, versioned (compare-and-set), persisted, applied through
 * the service's `onConfigChange(next, previous)` hook and broadcast to the other instances.
 *
 * Services read current values with {@link get}, from `onModuleInit` of their own module on.
 *
 * This class is the facade; the work is done by {@link ConfigSections} (discovery),
 * {@link StaticLayers} (env and file), {@link ConfigWriter} and {@link ConfigChangeApplier}
 * (accepting and applying changes), {@link ConfigSync} (other instances) and {@link ConfigHistory}.
 */
@ContributesOpenApi()
@Injectable()
export class RuntimeConfigService implements OnModuleInit, OnModuleDestroy, OpenApiContributor {
  private readonly logger = new Logger('runtime-config');
  private readonly sections: ConfigSections;
  private readonly sealer?: SecretSealer;
  private readonly persistence: SealingConfigPersistence;
  private readonly staticLayers: StaticLayers;
  private readonly sync: ConfigSync;
  private readonly writer: ConfigWriter;
  private readonly versionHistory: ConfigHistory;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(STATE_STORE) store: StateStore,
    @Inject(CONFIG_PERSISTENCE) stored: ConfigPersistence,
    @Inject(runtimeConfigEnv.KEY) env: RuntimeConfigEnvConfig,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    metrics: MetricsService,
  ) {
    this.sections = new ConfigSections(discovery);
    if (env.secretsKey) this.sealer = new SecretSealer(env.secretsKey, env.previousSecretsKeys);
    // The stored records, with `@Secret()` fields sealed at rest when a key is configured.
    const persistence = (this.persistence = new SealingConfigPersistence(
      stored,
      this.sealer,
      (service) => this.sections.find(service)?.schema.secrets ?? new Set(),
    ));
    const applier = new ConfigChangeApplier(metrics, this.logger);
    this.staticLayers = new StaticLayers(this.sections, env, applier, this.logger);
    this.sync = new ConfigSync(
      this.sections,
      persistence,
      store,
      applier,
      { resyncMs: env.resyncMs, historyLimit: env.historyLimit, reseedGraceMs: env.reseedGraceMs },
      this.logger,
    );
    this.writer = new ConfigWriter(persistence, applier, this.sync, env.historyLimit);
    this.versionHistory = new ConfigHistory(persistence, env.historyLimit);
  }

  async onModuleInit(): Promise<void> {
    this.sections.discover();
    this.reportSealing();
    await this.resealStored();
    this.staticLayers.load();
    await this.sync.loadRecords();
    await this.sync.start();
    this.staticLayers.watch();
  }

  async onModuleDestroy(): Promise<void> {
    this.staticLayers.close();
    await this.sync.stop();
  }

  /** Current effective values of `service` (deep-frozen). Throws CONFIG.SERVICE_NOT_FOUND. */
  get<T = PlainObject>(service: string): T {
    return this.sections.get(service).effective as T;
  }

  /** The JSON Schema of `service`'s settings (see {@link configJsonSchema}). Throws CONFIG.SERVICE_NOT_FOUND. */
  jsonSchema(service: string): JsonSchema {
    return configJsonSchema(this.sections.get(service).schema);
  }

  /**
   * Describes each service's `PATCH /config/{service}` body (a component schema per service,
   * `<Name>ConfigPatch`) instead of "any object". Works before `onModuleInit` too (the
   * `npm run openapi` export never initialises the app), so it discovers the sections itself.
   */
  contributeOpenApi(doc: OpenAPIObject): void {
    const patch = doc.paths['/config/{service}']?.patch;
    const content = patch?.requestBody && 'content' in patch.requestBody ? patch.requestBody.content : undefined;
    if (!content?.['application/json']) return;
    const sections = new ConfigSections(this.discovery);
    sections.discover();
    const schemas = (doc.components ??= {}).schemas ?? (doc.components.schemas = {});
    const refs = sections
      .all()
      .sort((a, b) => a.schema.service.localeCompare(b.schema.service))
      .map(({ schema }) => {
        const name = `${schema.service.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}ConfigPatch`;
        schemas[name] = configPatchSchema(schema);
        return { $ref: `#/components/schemas/${name}` };
      });
    if (refs.length === 0) return;
    content['application/json'].schema = {
      description:
        'A JSON merge patch of the settings of the service in the path: one of these schemas, by service ' +
        '(`GET /config/{service}/schema` gives the full JSON Schema with defaults)',
      anyOf: refs,
    };
  }

  /** Names of the services with runtime configuration. */
  services(): string[] {
    return this.sections.names().sort();
  }

  snapshot(service: string): ConfigSnapshot {
    const s = this.sections.get(service);
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
    return this.versionHistory.list(this.sections.get(service), offset, limit);
  }

  /**
   * Applies a JSON merge patch (`null` clears a runtime value) to the runtime layer. Invalid
   * values are a VALIDATION.FAILED naming each field, and nothing changes.
   */
  async patch(service: string, patch: unknown, options: WriteOptions): Promise<ConfigSnapshot> {
    const s = this.sections.get(service);
    if (!isPlainObject(patch)) {
      throw new RequestValidationError('The body must be a JSON object of settings', {
        fieldErrors: [{ field: '(body)', message: 'must be a JSON object' }],
      });
    }
    rejectInvalid(s, s.schema.unknownFields(patch));
    await this.writer.write(s, options, 'api', (current) => ({
      overrides: mergePatch(current.overrides, patch) as PlainObject,
      action: 'patch',
    }));
    return this.snapshot(s.name);
  }

  /** Restores the runtime values of `version` (0: no runtime values) as a new version. */
  async rollback(service: string, version: number, options: WriteOptions): Promise<ConfigSnapshot> {
    const s = this.sections.get(service);
    const { overrides } = await this.versionHistory.find(service, version);
    await this.writer.write(s, options, 'rollback', () => ({ overrides, action: 'rollback', rolledBackTo: version }));
    return this.snapshot(s.name);
  }

  /**
   * With a key configured: seals again every stored version that holds a secret in clear or under
   * another key (see {@link SealingConfigPersistence.reseal}). A store that cannot be reached now
   * is left for the next boot; boot goes on (the records are then read as described in ConfigSync).
   */
  private async resealStored(): Promise<void> {
    if (!this.sealer) return;
    for (const s of this.sections.all().filter((section) => section.schema.secrets.size > 0)) {
      try {
        const { resealed, unreadable } = await this.persistence.reseal(s.name);
        if (resealed > 0) {
          this.logger.log(
            { service: s.name, versions: resealed, keyId: this.sealer.keyId },
            'stored runtime config secrets sealed again with the current key',
          );
        }
        if (unreadable > 0) {
          this.logger.warn(
            { service: s.name, versions: unreadable, keyIds: this.sealer.keyIds },
            'stored runtime config versions hold secrets no configured key opens; left as they are',
          );
        }
      } catch (err) {
        this.logger.warn(
          { service: s.name, err: String(err) },
          'stored runtime config secrets not resealed (store unavailable); the next boot tries again',
        );
      }
    }
  }

  private reportSealing(): void {
    const withSecrets = this.sections
      .all()
      .filter((s) => s.schema.secrets.size > 0)
      .map((s) => s.name);
    if (this.sealer) {
      this.logger.log({ keyId: this.sealer.keyId, services: withSecrets }, 'runtime config secrets are sealed at rest');
    } else if (this.app.production && withSecrets.length > 0) {
      this.logger.warn(
        { services: withSecrets },
        'runtime config secrets are stored in clear: set RUNTIME_CONFIG_SECRETS_KEY to seal them at rest',
      );
    }
  }
}
