import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HEALTH_STATUSES, type HealthStatus } from '../managed-service.types';

/** The service's own `checkHealth()` answer, or UNKNOWN when it has none or is not up. */
export class ServiceHealthDto {
  @ApiProperty({ enum: HEALTH_STATUSES, example: 'UP' })
  status: HealthStatus;

  @ApiPropertyOptional({ example: 'free space below 100 MiB' })
  reason?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  details?: Record<string, unknown>;
}
