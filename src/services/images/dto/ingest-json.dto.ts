import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsBoolean, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

export class IngestJsonImageDto {
  @ApiProperty({
    description: 'The image bytes, base64 or a data URI (`data:image/png;base64,…`); the declared type is ignored',
    example: 'data:image/png;base64,iVBORw0KGgo…',
  })
  @IsString()
  data: string;

  @ApiPropertyOptional({ example: 'cat.png', maxLength: 255 })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  filename?: string;
}

/** `POST /v1/images` as JSON: bounded by HTTP_BODY_LIMIT (multipart is not). */
export class IngestJsonDto {
  @ApiProperty({ type: [IngestJsonImageDto], minItems: 1, description: 'At most IMAGES_MAX_FILES_PER_REQUEST' })
  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => IngestJsonImageDto)
  images: IngestJsonImageDto[];

  @ApiPropertyOptional({
    description: 'Remove EXIF/XMP/IPTC (GPS included), orientation applied; default: runtime setting',
  })
  @IsOptional()
  @IsBoolean()
  stripMetadata?: boolean;
}
