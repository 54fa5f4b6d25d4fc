import type { HealthStatus } from '../../registry/managed-service.types';
import { worstOf } from './health-status';

/** A service's own health plus what the dependency rules need. */
export interface OwnHealth {
  name: string;
  critical: boolean;
  status: HealthStatus;
  reason?: string;
  dependsOn: { name: string; optional: boolean }[];
}

/** Health after the dependency rules. */
export interface EffectiveHealth {
  status: HealthStatus;
  reason?: string;
}

/**
 * Applies the dependency rules, given services in dependency order (dependencies first):
 * a required dependency that is DOWN makes the service DOWN ("dependency <x> is DOWN"); one that
 * is OUT_OF_SERVICE, or an optional dependency that is DOWN or OUT_OF_SERVICE, makes it DEGRADED.
 * The service's own status wins when it is worse. Rules see effective statuses, so they cascade.
 */
export function applyDependencyRules(services: readonly OwnHealth[]): Map<string, EffectiveHealth> {
  const out = new Map<string, EffectiveHealth>();
  for (const s of services) {
    let result: EffectiveHealth = { status: s.status, reason: s.reason };
    for (const dep of s.dependsOn) {
      const depHealth = out.get(dep.name);
      if (!depHealth) continue;
      let derived: EffectiveHealth | undefined;
      if (depHealth.status === 'DOWN' && !dep.optional) {
        derived = { status: 'DOWN', reason: `dependency ${dep.name} is DOWN` };
      } else if (depHealth.status === 'DOWN' || depHealth.status === 'OUT_OF_SERVICE') {
        derived = {
          status: 'DEGRADED',
          reason: `${dep.optional ? 'optional ' : ''}dependency ${dep.name} is ${depHealth.status}`,
        };
      }
      if (derived && worstOf([result.status, derived.status]) !== result.status) result = derived;
    }
    out.set(s.name, result);
  }
  return out;
}

/**
 * Overall status: the worst of the parts, except that a non-critical service that is DOWN or
 * OUT_OF_SERVICE only degrades the whole (the app still serves without it).
 */
export function overallStatus(
  services: readonly { critical: boolean; status: HealthStatus }[],
  indicators: readonly HealthStatus[],
): HealthStatus {
  const parts = services.map((s) =>
    !s.critical && (s.status === 'DOWN' || s.status === 'OUT_OF_SERVICE') ? 'DEGRADED' : s.status,
  );
  return worstOf([...parts, ...indicators]);
}
