import type { HealthStatus, ServiceState } from '../../registry/managed-service.types';

/** One built-in indicator in the /health tree. */
export interface IndicatorHealth {
  status: HealthStatus;
  reason?: string;
  details?: Record<string, unknown>;
}

/** One managed service in the /health tree (after dependency rules). */
export interface ServiceHealthEntry {
  status: HealthStatus;
  reason?: string;
  critical: boolean;
  state: ServiceState;
  /** The service's own check result, before dependency rules. */
  ownStatus: HealthStatus;
  checkedAt?: string;
  latencyMs?: number;
  details?: Record<string, unknown>;
}

/** The full tree /health answers. */
export interface HealthTree {
  status: HealthStatus;
  phase: string;
  checkedAt: string;
  indicators: Record<string, IndicatorHealth>;
  services: Record<string, ServiceHealthEntry>;
}
