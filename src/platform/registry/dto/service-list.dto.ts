import { ApiProperty } from '@nestjs/swagger';
import { HEALTH_STATUSES, type HealthStatus } from '../managed-service.types';
import { ServiceDto } from './service.dto';

export class ServiceListDto {
  @ApiProperty({
    enum: HEALTH_STATUSES,
    example: 'UP',
    description: 'DOWN if a critical service is not up, DEGRADED if any service is not fully up',
  })
  status: HealthStatus;

  @ApiProperty({ type: [ServiceDto], description: 'Dependencies before dependents' })
  services: ServiceDto[];
}
