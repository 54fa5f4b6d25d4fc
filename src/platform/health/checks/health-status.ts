import type { HealthStatus } from '../../registry/managed-service.types';

/** Severity by precedence DOWN > OUT_OF_SERVICE > DEGRADED > UNKNOWN > UP (higher is worse). */
const SEVERITY: Record<HealthStatus, number> = { UP: 0, UNKNOWN: 1, DEGRADED: 2, OUT_OF_SERVICE: 3, DOWN: 4 };

/** The worst of `statuses` by precedence; UP when there are none. */
export function worstOf(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'UP';
  for (const s of statuses) if (SEVERITY[s] > SEVERITY[worst]) worst = s;
  return worst;
}

/** DOWN and OUT_OF_SERVICE answer 503; the others 200. */
export function httpStatusFor(status: HealthStatus): 200 | 503 {
  return status === 'DOWN' || status === 'OUT_OF_SERVICE' ? 503 : 200;
}

/** Whether `status` counts as available (UP or DEGRADED) for availability figures. */
export function isAvailableStatus(status: HealthStatus): boolean {
  return status === 'UP' || status === 'DEGRADED';
}
