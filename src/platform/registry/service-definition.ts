import type { ManagedServiceOptions } from './managed-service.types';

export const DEFAULT_START_TIMEOUT_MS = 15_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 3_000;
export const DEFAULT_HEALTH_TTL_MS = 5_000;

/** One edge of the graph, as declared: `optional` edges may point at services that do not exist. */
export interface DependencyEdge {
  name: string;
  optional: boolean;
}

/** A managed service's options with defaults applied, plus the class that declared it. */
export interface ServiceDefinition {
  name: string;
  dependsOn: DependencyEdge[];
  critical: boolean;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  healthTimeoutMs: number;
  /** How long the health module reuses a `checkHealth()` result. */
  healthTtlMs: number;
  description?: string;
  /** Name of the declaring class, for error messages. */
  className: string;
}

/** Applies defaults and folds repeated dependencies (required wins over optional). */
export function toServiceDefinition(options: ManagedServiceOptions, className: string): ServiceDefinition {
  const deps = new Map<string, boolean>();
  for (const spec of options.dependsOn ?? []) {
    const name = typeof spec === 'string' ? spec : spec.name;
    const optional = typeof spec === 'string' ? false : spec.optional === true;
    deps.set(name, (deps.get(name) ?? true) && optional);
  }
  return {
    name: options.name,
    dependsOn: [...deps].map(([name, optional]) => ({ name, optional })),
    critical: options.critical ?? true,
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    healthTimeoutMs: options.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
    healthTtlMs: options.healthTtlMs ?? DEFAULT_HEALTH_TTL_MS,
    description: options.description,
    className,
  };
}
