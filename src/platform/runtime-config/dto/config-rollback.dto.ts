import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Min } from 'class-validator';

export class ConfigRollbackDto {
  @ApiProperty({ description: 'Version whose runtime values to restore (0: clear all runtime values)', example: 2 })
  @IsInt()
  @Min(0)
  version: number;
}
