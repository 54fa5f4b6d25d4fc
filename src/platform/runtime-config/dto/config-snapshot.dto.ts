import { ApiProperty } from '@nestjs/swagger';

/** A service's configuration as in force on the answering instance. */
export class ConfigSnapshotDto {
  @ApiProperty({ example: 'rag' })
  service: string;

  @ApiProperty({
    description: 'Runtime configuration version (0: never changed at runtime); also the ETag',
    example: 3,
  })
  version: number;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Effective values (defaults < file < env < runtime); secret fields are masked',
    example: { topK: 8 },
  })
  values: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;

  @ApiProperty({ description: 'Caller id that made the current version', example: 'ops-key' })
  updatedBy: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string', enum: ['default', 'file', 'env', 'runtime'] },
    description: 'Which layer each value comes from',
    example: { topK: 'runtime' },
  })
  sources: Record<string, string>;
}
