import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { Metadata } from '../store/document-store';
import { IsMetadata } from './metadata.validator';
import { METADATA_PROPERTY } from './metadata.schema';
import { SEARCH_MODES, type SearchMode } from './search.dto';

export const ANSWER_TOP_K_MAX = 20;

export class AnswerRequestDto {
  @ApiProperty({ example: 'How many days of leave do employees get?' })
  @IsString()
  @Matches(/\S/, { message: 'query must not be empty' })
  @MaxLength(1000)
  query: string;

  @ApiPropertyOptional({ maximum: ANSWER_TOP_K_MAX, default: 5, description: 'Passages given to the LLM' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(ANSWER_TOP_K_MAX)
  topK?: number;

  @ApiPropertyOptional({ enum: SEARCH_MODES, default: 'hybrid' })
  @IsOptional()
  @IsIn(SEARCH_MODES)
  mode?: SearchMode;

  @ApiPropertyOptional({ ...METADATA_PROPERTY, example: { team: 'hr' } })
  @IsOptional()
  @IsMetadata()
  filter?: Metadata;
}
