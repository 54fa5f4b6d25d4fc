import type { Logger, LoggerService } from '@nestjs/common';
import { ConfigValidationError } from '../config/env-namespace';
import type { ConfigChangeApplier } from './config-change-applier';
import { ConfigFileSource } from './config-file-source';
import { toEnvName } from './config-schema';
import type { ConfigSections } from './config-sections';
import type { PlainObject } from './merge-patch';
import type { RuntimeConfigEnvConfig } from './runtime-config.config';
import { rejectInvalid } from './reject-invalid';

/**
 * The static layers between the schema defaults and the runtime layer: `FENNEC_<SERVICE>__<FIELD>`
 * env and the optional FENNEC_CONFIG_FILE. Both are loaded at boot; afterwards each edit of the
 * file is validated as a whole and applied, or rejected with the previous values kept.
 */
export class StaticLayers {
  private fileSource?: ConfigFileSource;
  private closed = false;

  constructor(
    private readonly sections: ConfigSections,
    private readonly env: RuntimeConfigEnvConfig,
    private readonly applier: ConfigChangeApplier,
    private readonly logger: Logger,
  ) {}

  /** Env and file layers; anything invalid fails boot with every problem named. */
  load(): void {
    if (this.env.file) this.fileSource = new ConfigFileSource(this.env.file, this.env.filePollMs);
    const file = this.fileSource?.read() ?? {};
    const problems = applyStaticLayers(this.sections, this.env.serviceEnv, file, this.env.file, this.logger);
    if (problems.length > 0) throw new ConfigValidationError(problems);
  }

  /** From now on, applies each change of the config file. */
  watch(): void {
    this.fileSource?.watch(() => this.reloadFile());
  }

  close(): void {
    this.closed = true;
    this.fileSource?.close();
  }

  private reloadFile(): void {
    if (!this.fileSource || this.closed) return;
    let file: Record<string, PlainObject>;
    try {
      file = this.fileSource.read();
      for (const [service, layer] of Object.entries(file)) {
        const s = this.sections.find(service);
        if (!s) continue;
        rejectInvalid(s, [...s.schema.unknownFields(layer), ...s.schema.validate(s.compose({ file: layer }))]);
      }
    } catch (err) {
      this.logger.error({ err: String(err), file: this.env.file }, 'config file change rejected; previous values stay');
      return;
    }
    for (const s of this.sections.all()) {
      const layer = file[s.name] ?? {};
      void this.applier.enqueue(s, () => this.applier.recompose(s, 'file', () => (s.file = layer)));
    }
  }
}

/**
 * Sets each section's env layer (`FENNEC_<SERVICE>__<FIELD>`) and file layer, and recomposes it.
 * Returns every problem found, each naming the variable or file entry, so boot can fail with all
 * of them at once. Unknown services are only warned about: they may belong to a module not loaded.
 */
function applyStaticLayers(
  sections: ConfigSections,
  serviceEnv: Record<string, Record<string, string>>,
  file: Record<string, PlainObject>,
  fileName: string | undefined,
  logger: LoggerService,
): string[] {
  const problems: string[] = [];
  const byEnvName = new Map(sections.all().map((s) => [toEnvName(s.name), s]));
  for (const [envService, vars] of Object.entries(serviceEnv)) {
    const s = byEnvName.get(envService);
    if (!s) {
      logger.warn({ prefix: `FENNEC_${envService}__` }, 'environment sets config for an unknown service');
      continue;
    }
    const { values, unknown } = s.schema.fromEnv(vars);
    problems.push(...unknown.map((v) => `FENNEC_${envService}__${v}: ${s.name} has no such setting`));
    s.env = values;
  }
  for (const [service, layer] of Object.entries(file)) {
    const s = sections.find(service);
    if (!s) {
      logger.warn({ service, file: fileName }, 'config file names an unknown service');
      continue;
    }
    problems.push(...s.schema.unknownFields(layer).map((e) => `${fileName}: ${service}.${e.field}: ${e.message}`));
    s.file = layer;
  }
  for (const s of sections.all()) {
    problems.push(...s.schema.validate(s.compose()).map((e) => `${s.name}.${e.field}: ${e.message}`));
    s.effective = s.compose();
  }
  return problems;
}
