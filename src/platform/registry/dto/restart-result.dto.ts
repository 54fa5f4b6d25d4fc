import { ApiProperty } from '@nestjs/swagger';
import { ServiceDto } from './service.dto';

export class RestartResultDto {
  @ApiProperty({ type: [String], example: ['state', 'rag'], description: 'Services restarted, in start order' })
  restarted: string[];

  @ApiProperty({ type: [ServiceDto], description: 'Their state afterwards, in the same order' })
  services: ServiceDto[];
}
