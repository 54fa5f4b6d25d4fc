import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { SERVICE_STATES, type ServiceState } from '../managed-service.types';
import type { ServiceSnapshot } from '../service-snapshot';

export class ServiceDependencyDto {
  @ApiProperty({ example: 'state' })
  name: string;

  @ApiProperty({ example: false, description: 'The service can run (DEGRADED) without it' })
  optional: boolean;

  @ApiProperty({ example: true, description: 'false: an optional dependency no provider declares' })
  registered: boolean;
}

export class ServiceLastErrorDto {
  @ApiProperty({ enum: ['start', 'stop'] })
  phase: 'start' | 'stop';

  @ApiProperty({ example: "start of 'rag' timed out after 15000 ms" })
  message: string;

  @ApiProperty({ type: String, format: 'date-time' })
  at: string;
}

/** One managed service as the admin API shows it. */
export class ServiceDto {
  @ApiProperty({ example: 'rag' })
  name: string;

  @ApiPropertyOptional({ example: 'Retrieval over ingested documents' })
  description?: string;

  @ApiProperty({ example: true, description: 'A critical service that fails to start fails boot' })
  critical: boolean;

  @ApiProperty({ enum: SERVICE_STATES, example: 'RUNNING' })
  state: ServiceState;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the service entered its state' })
  stateSince: string;

  @ApiPropertyOptional({ example: "optional 'llm' not running", description: 'Why it is DEGRADED, BLOCKED or FAILED' })
  reason?: string;

  @ApiProperty({ type: [ServiceDependencyDto] })
  dependsOn: ServiceDependencyDto[];

  @ApiProperty({ type: [String], example: ['summarization'], description: 'Services that depend on this one directly' })
  dependents: string[];

  @ApiProperty({ example: 15000 })
  startTimeoutMs: number;

  @ApiProperty({ example: 10000 })
  stopTimeoutMs: number;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  startedAt?: string;

  @ApiPropertyOptional({ example: 42, description: 'Duration of the last start hook' })
  startDurationMs?: number;

  @ApiPropertyOptional({ type: String, format: 'date-time' })
  stoppedAt?: string;

  @ApiPropertyOptional({ example: 3, description: 'Duration of the last stop hook' })
  stopDurationMs?: number;

  @ApiPropertyOptional({ type: ServiceLastErrorDto })
  lastError?: ServiceLastErrorDto;

  static from(s: ServiceSnapshot): ServiceDto {
    return {
      name: s.name,
      description: s.description,
      critical: s.critical,
      state: s.state,
      stateSince: s.stateSince.toISOString(),
      reason: s.reason,
      dependsOn: s.dependsOn,
      dependents: s.dependents,
      startTimeoutMs: s.startTimeoutMs,
      stopTimeoutMs: s.stopTimeoutMs,
      startedAt: s.startedAt?.toISOString(),
      startDurationMs: s.startDurationMs,
      stoppedAt: s.stoppedAt?.toISOString(),
      stopDurationMs: s.stopDurationMs,
      lastError: s.lastError && { ...s.lastError, at: s.lastError.at.toISOString() },
    };
  }
}
