import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { IMAGE_SOURCES, type ImageSource } from '../../images';
import { CaptionOptionsDto } from './caption-request.dto';

/** Which images a batch captions when no ids are given (the list filters of `GET /v1/images`). */
export class CaptionBatchFilterDto {
  @ApiPropertyOptional({ enum: IMAGE_SOURCES })
  @IsOptional()
  @IsIn(IMAGE_SOURCES)
  source?: ImageSource;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @IsISO8601()
  createdFrom?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601()
  createdTo?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the current caption' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  caption?: string;
}

/** `POST /v1/captions/batch`: ids or a filter (exactly one), and the caption options. */
export class CaptionBatchRequestDto extends CaptionOptionsDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid', minItems: 1 })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each id must be an image id (a UUID)' })
  ids?: string[];

  @ApiPropertyOptional({ type: CaptionBatchFilterDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CaptionBatchFilterDto)
  filter?: CaptionBatchFilterDto;

  @ApiPropertyOptional({ default: false, description: 'Leave images that already have a caption as they are' })
  @IsOptional()
  @IsBoolean()
  skipCaptioned?: boolean;
}
