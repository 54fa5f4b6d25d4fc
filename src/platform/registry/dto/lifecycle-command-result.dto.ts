import { ApiProperty } from '@nestjs/swagger';
import { ServiceDto } from './service.dto';

/** The answer of `POST /services/:name/stop`. */
export class StopResultDto {
  @ApiProperty({
    type: [String],
    example: ['rag', 'state'],
    description: 'Services stopped, in stop order (dependents first)',
  })
  stopped: string[];

  @ApiProperty({ type: [ServiceDto], description: 'The service and its dependents afterwards, in dependency order' })
  services: ServiceDto[];
}

/** The answer of `POST /services/:name/start`. */
export class StartResultDto {
  @ApiProperty({
    type: [String],
    example: ['state', 'rag'],
    description:
      'Services started, in start order (required dependencies, the service, its dependents); empty if all were up',
  })
  started: string[];

  @ApiProperty({ type: [ServiceDto], description: 'The service and its dependents afterwards, in dependency order' })
  services: ServiceDto[];
}
