import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { OUTPUT_FORMATS, type OutputFormat } from '../images.config';
import { type Fit, FITS, TRANSFORM_OPS, type TransformOp } from '../processing/variant-spec';

/** One operation; which fields apply depends on `op` (others are refused). */
export class TransformOperationDto {
  @ApiProperty({ enum: TRANSFORM_OPS })
  @IsIn(TRANSFORM_OPS)
  op: TransformOp;

  @ApiPropertyOptional({ description: 'resize, crop', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  width?: number;

  @ApiPropertyOptional({ description: 'resize, crop', minimum: 1 })
  @IsOptional()
  @IsInt()
  @Min(1)
  height?: number;

  @ApiPropertyOptional({ enum: FITS, description: 'resize (default inside)' })
  @IsOptional()
  @IsIn(FITS)
  fit?: Fit;

  @ApiPropertyOptional({ description: 'crop', minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  left?: number;

  @ApiPropertyOptional({ description: 'crop', minimum: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  top?: number;

  @ApiPropertyOptional({ description: 'rotate: degrees clockwise', minimum: -360, maximum: 360 })
  @IsOptional()
  @IsNumber()
  @Min(-360)
  @Max(360)
  angle?: number;

  @ApiPropertyOptional({ enum: ['horizontal', 'vertical'], description: 'flip' })
  @IsOptional()
  @IsIn(['horizontal', 'vertical'])
  direction?: 'horizontal' | 'vertical';

  @ApiPropertyOptional({ description: 'blur: Gaussian sigma', minimum: 0.3, maximum: 100 })
  @IsOptional()
  @IsNumber()
  @Min(0.3)
  @Max(100)
  sigma?: number;
}

export class TransformRequestDto {
  @ApiProperty({ type: [TransformOperationDto], minItems: 1, maxItems: 10, description: 'Applied in order' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10)
  @ValidateNested({ each: true })
  @Type(() => TransformOperationDto)
  operations: TransformOperationDto[];

  @ApiPropertyOptional({
    enum: OUTPUT_FORMATS,
    description: "Output format (IMAGES_OUTPUT_FORMATS); default: the image's",
  })
  @IsOptional()
  @IsIn(OUTPUT_FORMATS)
  format?: OutputFormat;

  @ApiPropertyOptional({ minimum: 1, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  quality?: number;
}
