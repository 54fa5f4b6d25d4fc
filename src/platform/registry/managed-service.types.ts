/** Lifecycle states of a managed service. */
export const SERVICE_STATES = [
  'REGISTERED',
  'STARTING',
  'RUNNING',
  'DEGRADED',
  'FAILED',
  'BLOCKED',
  'STOPPING',
  'STOPPED',
] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

/** Health levels, worst first by precedence: DOWN > OUT_OF_SERVICE > DEGRADED > UNKNOWN > UP. */
export const HEALTH_STATUSES = ['UP', 'DEGRADED', 'DOWN', 'OUT_OF_SERVICE', 'UNKNOWN'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** What a service's `checkHealth()` answers. */
export interface ServiceHealthReport {
  status: HealthStatus;
  /** Why it is not UP, in one line. */
  reason?: string;
  /** Per-check data; only shown to authorised callers. */
  details?: Record<string, unknown>;
}

/**
 * Hooks a managed service may implement; all optional. The registry calls `start` in dependency
 * order before the HTTP server listens, `stop` in reverse order on shutdown.
 */
export interface ManagedLifecycle {
  start?(): Promise<void>;
  stop?(): Promise<void>;
  checkHealth?(): Promise<ServiceHealthReport>;
  /** Runtime configuration changed (validated already); `previous` is what was in force before. */
  onConfigChange?(next: object, previous: object): void | Promise<void>;
}

/** A dependency: a service name, or `{ name, optional: true }` for one the service can do without. */
export type DependencySpec = string | { name: string; optional?: boolean };

/** Options of {@link ManagedService}. */
export interface ManagedServiceOptions {
  /** Unique, kebab-case. */
  name: string;
  dependsOn?: DependencySpec[];
  /** A critical service that fails to start fails boot. Default true. */
  critical?: boolean;
  /** Default 15 000 ms. */
  startTimeoutMs?: number;
  /** Default 10 000 ms. */
  stopTimeoutMs?: number;
  description?: string;
  /** class-validator class of the service's runtime configuration; initialisers are the defaults. */
  config?: new () => object;
  /** How long a `checkHealth()` result is reused. Default 5 000 ms. */
  healthTtlMs?: number;
  /** A check slower than this is DOWN with reason "timeout". Default 3 000 ms. */
  healthTimeoutMs?: number;
}
