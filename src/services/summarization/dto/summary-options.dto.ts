import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';

export const SUMMARY_MODES = ['extractive', 'abstractive', 'auto'] as const;
export type SummaryMode = (typeof SUMMARY_MODES)[number];

/** How to summarise: the method, and how long the summary may be (maxSentences or ratio, not both). */
export class SummaryOptionsDto {
  @ApiPropertyOptional({
    enum: SUMMARY_MODES,
    default: 'auto',
    description: 'auto: abstractive when the LLM is up, else extractive',
  })
  @IsOptional()
  @IsIn(SUMMARY_MODES)
  mode?: SummaryMode;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 50,
    example: 3,
    description: 'Most sentences (or items, turns, declarations) to keep',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  maxSentences?: number;

  @ApiPropertyOptional({
    minimum: 0,
    exclusiveMinimum: true,
    maximum: 1,
    example: 0.2,
    description: 'Share of the sentences to keep, in (0, 1]',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(Number.MIN_VALUE, { message: 'ratio must be greater than 0' })
  @Max(1)
  ratio?: number;
}
