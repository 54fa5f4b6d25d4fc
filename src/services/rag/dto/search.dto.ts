import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { Metadata } from '../store/document-store';
import { IsMetadata } from './metadata.validator';
import { METADATA_PROPERTY } from './metadata.schema';

export const SEARCH_MODES = ['lexical', 'vector', 'hybrid'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];
export const TOP_K_MAX = 50;

export class SearchRequestDto {
  @ApiProperty({ example: 'how many days of leave' })
  @IsString()
  @Matches(/\S/, { message: 'query must not be empty' })
  @MaxLength(1000)
  query: string;

  @ApiPropertyOptional({ maximum: TOP_K_MAX, default: 5 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(TOP_K_MAX)
  topK?: number;

  @ApiPropertyOptional({
    enum: SEARCH_MODES,
    default: 'hybrid',
    description: 'vector/hybrid fall back to lexical when the LLM is down',
  })
  @IsOptional()
  @IsIn(SEARCH_MODES)
  mode?: SearchMode;

  @ApiPropertyOptional({
    ...METADATA_PROPERTY,
    description: 'Only documents whose metadata has all these values',
    example: { team: 'hr' },
  })
  @IsOptional()
  @IsMetadata()
  filter?: Metadata;
}

export class SearchHitDto {
  @ApiProperty({ example: 'handbook-2026' })
  documentId: string;

  @ApiProperty({ example: 3 })
  chunkIndex: number;

  @ApiProperty({ example: 'Employees get 25 days of paid leave per year.' })
  text: string;

  @ApiProperty({ example: 7.31, description: 'BM25, cosine, or fused RRF score by mode; higher is better' })
  score: number;

  @ApiProperty({ example: 120, description: 'Offset of the chunk in the document text (UTF-16 units)' })
  start: number;

  @ApiProperty({ example: 240 })
  end: number;

  @ApiProperty({ type: [String], example: ['Handbook', 'Leave'] })
  headingPath: string[];

  @ApiPropertyOptional({ example: 'Employee handbook' })
  title?: string;

  @ApiProperty({ ...METADATA_PROPERTY, example: { team: 'hr' } })
  metadata: Metadata;
}

export class SearchResponseDto {
  @ApiProperty({ enum: SEARCH_MODES, description: 'What was asked for' })
  mode: SearchMode;

  @ApiProperty({ enum: SEARCH_MODES, description: 'What ran' })
  modeUsed: SearchMode;

  @ApiPropertyOptional({ example: 'llm unavailable', description: 'Why modeUsed differs from mode' })
  fallbackReason?: string;

  @ApiProperty({ description: 'Answered from the search cache' })
  cached: boolean;

  @ApiProperty({ type: [SearchHitDto] })
  results: SearchHitDto[];

  @ApiProperty({ example: 4.2 })
  timingMs: number;
}
