import { ApiProperty } from '@nestjs/swagger';
import { ServiceHealthDto } from './service-health.dto';
import { ServiceDto } from './service.dto';

/** One service with a fresh health check. */
export class ServiceDetailDto extends ServiceDto {
  @ApiProperty({ type: ServiceHealthDto })
  health: ServiceHealthDto;
}
