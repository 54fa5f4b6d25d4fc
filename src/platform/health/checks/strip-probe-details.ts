import type { HealthCheckResult } from '@nestjs/terminus';

/**
 * A Terminus result with each indicator reduced to its status: anonymous callers of the probes see
 * which indicator failed, not its data (lag figures, phases, counts).
 */
export function stripProbeDetails(result: HealthCheckResult): HealthCheckResult {
  const only = (section?: object) =>
    section &&
    Object.fromEntries(Object.entries(section).map(([k, v]) => [k, { status: (v as { status?: string })?.status }]));
  return {
    status: result.status,
    info: only(result.info),
    error: only(result.error),
    details: only(result.details) ?? {},
  } as HealthCheckResult;
}
