import type { HealthStatus } from '../../registry/managed-service.types';

/** One executed health check (cache hits are not samples). */
export interface CheckSample {
  /** Completion time, epoch ms. */
  at: number;
  status: HealthStatus;
  latencyMs: number;
  /** A failed check: DOWN (including timeouts). */
  failed: boolean;
  reason?: string;
}
