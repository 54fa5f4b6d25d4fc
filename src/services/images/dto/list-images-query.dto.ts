import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IMAGE_SOURCES, type ImageSource, STORED_FORMATS, type StoredFormat } from '../image-record';

export class ListImagesQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset: number = 0;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ enum: IMAGE_SOURCES })
  @IsOptional()
  @IsIn(IMAGE_SOURCES)
  source?: ImageSource;

  @ApiPropertyOptional({ enum: STORED_FORMATS })
  @IsOptional()
  @IsIn(STORED_FORMATS)
  format?: StoredFormat;

  @ApiPropertyOptional({ description: 'Created at or after (ISO 8601)', example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdFrom?: string;

  @ApiPropertyOptional({ description: 'Created at or before (ISO 8601)', example: '2026-12-31T23:59:59Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  createdTo?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive text the caption contains', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  caption?: string;
}
