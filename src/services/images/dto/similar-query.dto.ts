import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class SimilarQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 32, description: 'Hamming distance threshold; default: runtime setting' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(32)
  maxDistance?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}
