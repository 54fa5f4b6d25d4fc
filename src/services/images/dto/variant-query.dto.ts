import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { OUTPUT_FORMATS, type OutputFormat } from '../images.config';
import { type Fit, FITS } from '../processing/variant-spec';

/** `GET /v1/images/:id/content` parameters; none: the original bytes. */
export class VariantQueryDto {
  @ApiPropertyOptional({ description: 'Width, one of IMAGES_VARIANT_SIZES; never enlarges', example: 256 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  w?: number;

  @ApiPropertyOptional({ description: 'Height, one of IMAGES_VARIANT_SIZES; never enlarges', example: 256 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  h?: number;

  @ApiPropertyOptional({ enum: FITS, default: 'inside' })
  @IsOptional()
  @IsIn(FITS)
  fit?: Fit;

  @ApiPropertyOptional({
    enum: OUTPUT_FORMATS,
    description:
      'Output format (IMAGES_OUTPUT_FORMATS); absent on a variant: chosen from Accept (WebP, AVIF, else the source format)',
  })
  @IsOptional()
  @IsIn(OUTPUT_FORMATS)
  format?: OutputFormat;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, description: 'Encoder quality' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  q?: number;
}
