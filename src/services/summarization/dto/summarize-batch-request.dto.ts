import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { SummaryOptionsDto } from './summary-options.dto';

/** Hard ceiling of the DTO; SUMMARY_BATCH_MAX_DOCUMENTS (≤ this) is the configured limit. */
export const BATCH_DOCUMENTS_CEILING = 100;

export class BatchDocumentDto {
  @ApiPropertyOptional({ example: 'doc-1', description: "Caller's id, echoed in the events" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  id?: string;

  @ApiProperty({ example: 'Solar capacity grew faster than any other source last year. …' })
  @IsString()
  @Matches(/\S/, { message: 'text must not be empty' })
  text: string;
}

export class SummarizeBatchRequestDto extends SummaryOptionsDto {
  @ApiProperty({ type: [BatchDocumentDto], maxItems: BATCH_DOCUMENTS_CEILING })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_DOCUMENTS_CEILING)
  @ValidateNested({ each: true })
  @Type(() => BatchDocumentDto)
  documents: BatchDocumentDto[];
}
