import type { ServiceState } from './managed-service.types';

/** The last thing that went wrong with a service. */
export interface ServiceLastError {
  phase: 'start' | 'stop';
  message: string;
  at: Date;
}

/** One state transition, as logged and emitted on `ServiceRegistry.changes$`. */
export interface ServiceStateChange {
  service: string;
  from: ServiceState;
  to: ServiceState;
  at: Date;
  /** How long the service spent in `from`. */
  durationMs: number;
  /** Why it is DEGRADED, BLOCKED or FAILED. */
  reason?: string;
}

/** A read-only view of one managed service. */
export interface ServiceSnapshot {
  name: string;
  description?: string;
  critical: boolean;
  state: ServiceState;
  stateSince: Date;
  /** Why it is DEGRADED, BLOCKED or FAILED. */
  reason?: string;
  /** `registered: false` marks an optional dependency no provider declares. */
  dependsOn: { name: string; optional: boolean; registered: boolean }[];
  /** Services that depend on this one directly. */
  dependents: string[];
  startTimeoutMs: number;
  stopTimeoutMs: number;
  startedAt?: Date;
  startDurationMs?: number;
  stoppedAt?: Date;
  stopDurationMs?: number;
  lastError?: ServiceLastError;
}

/** States in which a service serves: its dependents may start and its routes answer. */
export function isUp(state: ServiceState): boolean {
  return state === 'RUNNING' || state === 'DEGRADED';
}
