import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_FORMATS, type DocumentFormat, type Metadata } from '../store/document-store';
import { METADATA_PROPERTY } from './metadata.schema';

export class DocumentSummaryDto {
  @ApiProperty({ example: 'handbook-2026' })
  id: string;

  @ApiPropertyOptional({ example: 'Employee handbook' })
  title?: string;

  @ApiProperty({ enum: DOCUMENT_FORMATS })
  format: DocumentFormat;

  @ApiProperty({ ...METADATA_PROPERTY, example: { team: 'hr' } })
  metadata: Metadata;

  @ApiProperty({ example: 12 })
  chunkCount: number;

  @ApiPropertyOptional({
    example: 'nomic-embed-text:latest',
    description: 'Absent: stored without vectors (LLM was down)',
  })
  embeddingModel?: string;

  @ApiProperty({ example: '2026-01-01T00:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ example: '2026-01-01T00:00:00.000Z' })
  updatedAt: string;
}

export class DocumentDto extends DocumentSummaryDto {
  @ApiProperty({ example: '# Leave\n\nEmployees get 25 days of paid leave per year.' })
  text: string;
}

export class DocumentListDto {
  @ApiProperty({ type: [DocumentSummaryDto] })
  items: DocumentSummaryDto[];

  @ApiProperty({ example: 42 })
  total: number;

  @ApiProperty({ example: 0 })
  offset: number;

  @ApiProperty({ example: 20 })
  limit: number;
}

export class UpsertResultDto {
  @ApiProperty({ example: 'handbook-2026' })
  id: string;

  @ApiProperty({ description: 'false: an existing document was replaced' })
  created: boolean;

  @ApiProperty({ example: 12 })
  chunks: number;

  @ApiProperty({ description: 'Whether chunks got embeddings (vector search); false when the LLM is down' })
  embedded: boolean;
}
