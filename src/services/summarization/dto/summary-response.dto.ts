import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONTENT_TYPES, type ContentType } from '../text/content-type';
import { EXTRACTIVE_STRATEGIES } from '../text/extractive-summarizer';

export class ContentTypeDto {
  @ApiProperty({ enum: CONTENT_TYPES, example: 'prose' })
  type: ContentType;

  @ApiProperty({ example: 0.82, description: 'Heuristic confidence, 0..1' })
  confidence: number;
}

export class SummaryStatsDto {
  @ApiProperty({ example: 4210 })
  inputChars: number;

  @ApiProperty({ example: 512 })
  summaryChars: number;

  @ApiProperty({ example: 0.12, description: 'summaryChars / inputChars (smaller is shorter)' })
  compressionRatio: number;

  @ApiProperty({ example: 31, description: 'Sentences (or items, turns, declarations) in the input' })
  inputSentences: number;

  @ApiProperty({ example: 3 })
  summarySentences: number;
}

export class SummaryDto {
  @ApiProperty({ example: 'Solar capacity grew faster than any other source last year. …' })
  summary: string;

  @ApiProperty({ enum: ['extractive', 'abstractive'], description: 'The method that actually ran' })
  method: 'extractive' | 'abstractive';

  @ApiProperty({ enum: [...EXTRACTIVE_STRATEGIES, 'llm'], example: 'textrank-sentences' })
  strategy: string;

  @ApiProperty({ enum: ['extractive', 'abstractive', 'auto'] })
  requestedMode: string;

  @ApiPropertyOptional({ example: 'llm unavailable', description: 'Why auto ran extractive' })
  fallbackReason?: string;

  @ApiPropertyOptional({ example: 'llama3.2:3b', description: 'Model that wrote an abstractive summary' })
  model?: string;

  @ApiProperty({ type: ContentTypeDto })
  contentType: ContentTypeDto;

  @ApiProperty({ type: SummaryStatsDto })
  stats: SummaryStatsDto;

  @ApiProperty({ example: 3.4, description: 'Time spent summarising, in milliseconds' })
  timingMs: number;
}
