import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import {
  HEALTH_STATUSES,
  type HealthStatus,
  SERVICE_STATES,
  type ServiceState,
} from '../../registry/managed-service.types';

export class IndicatorHealthDto {
  @ApiProperty({ enum: HEALTH_STATUSES, example: 'UP' })
  status: HealthStatus;

  @ApiPropertyOptional({ description: 'Why it is not UP (authorized callers only)' })
  reason?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Authorized callers only' })
  details?: Record<string, unknown>;
}

export class ServiceHealthEntryDto {
  @ApiProperty({ enum: HEALTH_STATUSES, example: 'UP', description: 'After dependency rules' })
  status: HealthStatus;

  @ApiProperty({
    enum: HEALTH_STATUSES,
    example: 'UP',
    description: "The service's own check, before dependency rules",
  })
  ownStatus: HealthStatus;

  @ApiProperty()
  critical: boolean;

  @ApiProperty({ enum: SERVICE_STATES, example: 'RUNNING' })
  state: ServiceState;

  @ApiPropertyOptional({ example: 'dependency state is DOWN', description: 'Authorized callers only' })
  reason?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'When the check ran (authorized callers only)' })
  checkedAt?: string;

  @ApiPropertyOptional({ description: 'Check latency in ms (authorized callers only)' })
  latencyMs?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Authorized callers only' })
  details?: Record<string, unknown>;
}

/** The /health tree: overall status, built-in indicators, every managed service. */
@ApiExtraModels(IndicatorHealthDto, ServiceHealthEntryDto)
export class HealthTreeDto {
  @ApiProperty({
    enum: HEALTH_STATUSES,
    example: 'UP',
    description:
      'Worst of the parts (DOWN > OUT_OF_SERVICE > DEGRADED > UNKNOWN > UP); a non-critical service DOWN or OUT_OF_SERVICE counts as DEGRADED',
  })
  status: HealthStatus;

  @ApiProperty({ enum: ['starting', 'ready', 'draining'] })
  phase: string;

  @ApiProperty({ format: 'date-time' })
  checkedAt: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(IndicatorHealthDto) },
    description: 'eventLoop, memory, disk (data-dir), redis (state, with REDIS_URL), upstreams',
  })
  indicators: Record<string, IndicatorHealthDto>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(ServiceHealthEntryDto) },
    description: 'One entry per managed service',
  })
  services: Record<string, ServiceHealthEntryDto>;
}

export class MaintenanceDto {
  @ApiProperty({ example: 'disk replacement' })
  reason: string;

  @ApiProperty({ format: 'date-time' })
  since: string;
}

/** /health/services/:name */
export class ServiceHealthViewDto extends ServiceHealthEntryDto {
  @ApiProperty({ example: 'data-dir' })
  name: string;

  @ApiPropertyOptional({ type: MaintenanceDto, description: 'Set while the service is OUT_OF_SERVICE for maintenance' })
  maintenance?: MaintenanceDto;
}
