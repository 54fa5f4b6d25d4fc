import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class ConfigHistoryQueryDto {
  @ApiPropertyOptional({ default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ default: 0, description: 'Entries to skip, newest first' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;
}

export class ConfigHistoryEntryDto {
  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({ enum: ['patch', 'rollback'] })
  action: string;

  @ApiPropertyOptional({ description: 'For a rollback: the version restored', example: 1 })
  rolledBackTo?: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Runtime layer of this version (secrets masked)',
  })
  overrides: Record<string, unknown>;

  @ApiProperty({ type: [String], description: 'Fields whose runtime value changed' })
  changed: string[];

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty()
  updatedBy: string;
}

export class ConfigHistoryDto {
  @ApiProperty()
  service: string;

  @ApiProperty({ type: [ConfigHistoryEntryDto], description: 'Newest first; bounded by RUNTIME_CONFIG_HISTORY_LIMIT' })
  entries: ConfigHistoryEntryDto[];
}
