import type { LoggerService } from '@nestjs/common';
import { toEnvName } from './config-schema';
import type { ConfigSection } from './config-section';
import type { PlainObject } from './merge-patch';

/**
 * Sets each section's env layer (`FENNEC_<SERVICE>__<FIELD>`) and file layer, and recomposes it.
 * Returns every problem found, each naming the variable or file entry, so boot can fail with all
 * of them at once. Unknown services are only warned about: they may belong to a module not loaded.
 */
export function applyStaticLayers(
  sections: Map<string, ConfigSection>,
  serviceEnv: Record<string, Record<string, string>>,
  file: Record<string, PlainObject>,
  fileName: string | undefined,
  logger: LoggerService,
): string[] {
  const problems: string[] = [];
  const byEnvName = new Map([...sections.values()].map((s) => [toEnvName(s.name), s]));
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
    const s = sections.get(service);
    if (!s) {
      logger.warn({ service, file: fileName }, 'config file names an unknown service');
      continue;
    }
    problems.push(...s.schema.unknownFields(layer).map((e) => `${fileName}: ${service}.${e.field}: ${e.message}`));
    s.file = layer;
  }
  for (const s of sections.values()) {
    problems.push(...s.schema.validate(s.compose()).map((e) => `${s.name}.${e.field}: ${e.message}`));
    s.effective = s.compose();
  }
  return problems;
}
