import { ApiProperty } from '@nestjs/swagger';
import { SERVICE_STATES, type ServiceState } from '../managed-service.types';

export class ServiceGraphNodeDto {
  @ApiProperty({ example: 'rag' })
  name: string;

  @ApiProperty({ enum: SERVICE_STATES, example: 'RUNNING' })
  state: ServiceState;

  @ApiProperty({ example: true })
  critical: boolean;
}

/** `from` depends on `to`. */
export class ServiceGraphEdgeDto {
  @ApiProperty({ example: 'rag', description: 'The dependent service' })
  from: string;

  @ApiProperty({ example: 'state', description: 'The service it depends on' })
  to: string;

  @ApiProperty({ example: false })
  optional: boolean;
}

export class ServiceGraphDto {
  @ApiProperty({ type: [ServiceGraphNodeDto], description: 'In start order' })
  nodes: ServiceGraphNodeDto[];

  @ApiProperty({ type: [ServiceGraphEdgeDto] })
  edges: ServiceGraphEdgeDto[];
}
