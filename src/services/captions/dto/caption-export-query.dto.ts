import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsNumber, IsOptional, Max, Min } from 'class-validator';

/** `GET /v1/captions/export` */
export class CaptionExportQueryDto {
  @ApiPropertyOptional({
    enum: ['jsonl', 'txt-per-image'],
    default: 'jsonl',
    description: 'jsonl: one JSON line per captioned image; txt-per-image: a tar with `<id>.txt` beside `<id>.<ext>`',
  })
  @IsOptional()
  @IsIn(['jsonl', 'txt-per-image'])
  format: 'jsonl' | 'txt-per-image' = 'jsonl';

  @ApiPropertyOptional({ default: true, description: 'txt-per-image: put the images in the archive too' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeImages: boolean = true;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'Only captions with at least this score' })
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(1)
  minScore?: number;

  @ApiPropertyOptional({ default: true, description: 'Include captions flagged by their checks' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeFlagged: boolean = true;
}
