import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { DOCUMENT_ID_PATTERN } from './upsert-document.dto';

export class DocumentIdParamDto {
  @ApiProperty({ example: 'handbook-2026', pattern: DOCUMENT_ID_PATTERN.source })
  @Matches(DOCUMENT_ID_PATTERN, { message: 'id is not a valid document id' })
  id: string;
}
