import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { CAPTION_STYLES, type CaptionStyle } from '../caption-styles';

/** How to caption: style (or a custom prompt), length, language, model. */
export class CaptionOptionsDto {
  @ApiPropertyOptional({
    enum: CAPTION_STYLES,
    description:
      'descriptive (a paragraph), short (one sentence), tags (structured output, normalised), sd-prompt (a Stable Diffusion prompt), custom (with `prompt`). Default: descriptive, or custom when a prompt is given',
  })
  @IsOptional()
  @IsIn(CAPTION_STYLES)
  style?: CaptionStyle;

  @ApiPropertyOptional({
    description: 'Instruction for style custom',
    maxLength: 2000,
    example: 'Describe the clothing only.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(2_000)
  prompt?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 300,
    description:
      'Most words (style tags: most tags); default per style: descriptive 80, short 20, tags 25, sd-prompt 60, custom 150',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(300)
  maxWords?: number;

  @ApiPropertyOptional({
    description: 'ISO 639-1 code of the language to write in; checked on the answer',
    example: 'en',
  })
  @IsOptional()
  @Matches(/^[a-z]{2}$/, { message: 'language must be an ISO 639-1 code such as en or fr' })
  language?: string;

  @ApiPropertyOptional({ description: 'Vision model; default: runtime setting defaultModel', example: 'llava:7b' })
  @IsOptional()
  @Matches(/^[a-zA-Z0-9][a-zA-Z0-9._\-/]*(:[a-zA-Z0-9._-]+)?$/, { message: 'model must be a model name like llava:7b' })
  @MaxLength(200)
  model?: string;
}
