import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LlmModelDto {
  @ApiProperty({ example: 'llama3.2:3b' })
  name: string;

  @ApiProperty({ example: 2019393189, description: 'Bytes on disk' })
  size: number;

  @ApiProperty({ example: '2026-01-15T10:00:00.000Z' })
  modifiedAt: string;

  @ApiPropertyOptional({ example: 'llama' })
  family?: string;

  @ApiPropertyOptional({ example: '3.2B' })
  parameterSize?: string;

  @ApiPropertyOptional({ example: 'Q4_K_M' })
  quantization?: string;
}

export class LlmModelListDto {
  @ApiProperty({ type: [LlmModelDto] })
  models: LlmModelDto[];
}
