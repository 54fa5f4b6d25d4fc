import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsUUID,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { OUTPUT_FORMATS, type OutputFormat } from '../images.config';
import { type Fit, FITS } from '../processing/variant-spec';
import { TransformRequestDto } from './transform-request.dto';

/** A variant to render for every image, bounded like `GET …/content` (IMAGES_VARIANT_SIZES, IMAGES_OUTPUT_FORMATS). */
export class BatchVariantDto {
  @ApiPropertyOptional({ description: 'Width, one of IMAGES_VARIANT_SIZES; never enlarges', example: 256 })
  @IsOptional()
  @IsInt()
  @Min(1)
  w?: number;

  @ApiPropertyOptional({ description: 'Height, one of IMAGES_VARIANT_SIZES; never enlarges' })
  @IsOptional()
  @IsInt()
  @Min(1)
  h?: number;

  @ApiPropertyOptional({ enum: FITS, default: 'inside' })
  @IsOptional()
  @IsIn(FITS)
  fit?: Fit;

  @ApiProperty({ enum: OUTPUT_FORMATS, description: 'Output format (IMAGES_OUTPUT_FORMATS)' })
  @IsIn(OUTPUT_FORMATS)
  format: OutputFormat;

  @ApiPropertyOptional({ minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  q?: number;
}

/**
 * `POST /v1/images/batch`: one conversion applied to many images, as a job. Exactly one of
 * `variant` (results: references to cached variants, served by `GET …/content`) or `transform`
 * (results: new images with source `derived`).
 */
export class ImageBatchRequestDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    minItems: 1,
    description: 'Images of the caller’s tenant (at most IMAGES_BATCH_MAX_IMAGES)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each id must be an image id (a UUID)' })
  ids: string[];

  @ApiPropertyOptional({ type: BatchVariantDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => BatchVariantDto)
  variant?: BatchVariantDto;

  @ApiPropertyOptional({
    type: TransformRequestDto,
    description: 'Operations in order; each result is stored as a new image',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => TransformRequestDto)
  transform?: TransformRequestDto;
}
