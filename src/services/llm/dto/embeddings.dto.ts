import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, Min, ValidateBy } from 'class-validator';

const isInput = (v: unknown) =>
  typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string'));

export class EmbeddingsRequestDto {
  @ApiPropertyOptional({ example: 'nomic-embed-text:latest', description: 'Default: LLM_DEFAULT_EMBED_MODEL' })
  @IsOptional()
  @IsString()
  model?: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['first text', 'second text'],
  })
  @ValidateBy({
    name: 'isEmbeddingInput',
    validator: { validate: isInput, defaultMessage: () => 'input must be a string or a non-empty array of strings' },
  })
  input: string | string[];

  @ApiPropertyOptional({ example: 256, description: 'Truncate vectors to this many dimensions (Matryoshka models)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65_536)
  dimensions?: number;
}

export class EmbeddingsResponseDto {
  @ApiProperty({ example: 'nomic-embed-text:latest' })
  model: string;

  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'number' } }, description: 'One per input' })
  embeddings: number[][];

  @ApiPropertyOptional({ example: 12 })
  promptTokens?: number;
}
