import { ApiProperty } from '@nestjs/swagger';

export class ConfigSummaryDto {
  @ApiProperty({ example: 'rag' })
  service: string;

  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

/** The state backend the versions live in, as this instance sees it. */
export class ConfigStoreStatusDto {
  @ApiProperty({ enum: ['memory', 'redis'] })
  backend: string;

  @ApiProperty({ enum: ['UP', 'DEGRADED', 'DOWN'], description: 'Health of the `state` service on this instance' })
  status: string;
}

export class ConfigListDto {
  @ApiProperty({ type: [ConfigSummaryDto] })
  services: ConfigSummaryDto[];

  @ApiProperty({ type: ConfigStoreStatusDto })
  store: ConfigStoreStatusDto;
}
