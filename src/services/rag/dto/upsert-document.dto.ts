import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DOCUMENT_FORMATS, type DocumentFormat, type Metadata } from '../store/document-store';
import { IsMetadata } from './metadata.validator';
import { METADATA_PROPERTY } from './metadata.schema';

export const DOCUMENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export class UpsertDocumentDto {
  @ApiPropertyOptional({
    example: 'handbook-2026',
    description: 'Your id (upsert); omitted: a UUID is assigned',
    pattern: DOCUMENT_ID_PATTERN.source,
  })
  @IsOptional()
  @Matches(DOCUMENT_ID_PATTERN, {
    message: 'id must be 1-128 characters of letters, digits, _ . : - (starting with a letter or digit)',
  })
  id?: string;

  @ApiPropertyOptional({ example: 'Employee handbook' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  title?: string;

  @ApiProperty({ example: '# Leave\n\nEmployees get 25 days of paid leave per year.' })
  @IsString()
  @Matches(/\S/, { message: 'text must not be empty' })
  text: string;

  @ApiPropertyOptional({ enum: DOCUMENT_FORMATS, default: 'markdown', description: 'markdown: chunks follow headings' })
  @IsOptional()
  @IsIn(DOCUMENT_FORMATS)
  format?: DocumentFormat;

  @ApiPropertyOptional({ ...METADATA_PROPERTY, example: { team: 'hr', year: 2026 } })
  @IsOptional()
  @IsMetadata()
  metadata?: Metadata;
}
