import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Matches } from 'class-validator';

/** `POST /v1/comfy/jobs`: a template with parameters, or a workflow (API format or as saved by the editor). */
export class ComfyJobRequestDto {
  @ApiPropertyOptional({
    description: 'Template name, optionally `name@version`',
    example: 'text2img',
    pattern: '^[a-z][a-z0-9_-]{0,63}(@[1-9][0-9]{0,8})?$',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,63}(@[1-9][0-9]{0,8})?$/, {
    message: 'template must be a template name, optionally name@version',
  })
  template?: string;

  @ApiPropertyOptional({
    description: 'Template parameters by name',
    type: 'object',
    additionalProperties: true,
    example: { prompt: 'a red fox in the snow', seed: 42, steps: 20 },
  })
  @IsOptional()
  @IsObject()
  params?: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'A whole workflow instead of a template: API format (node id → {class_type, inputs}) or editor format (nodes + links)',
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  workflow?: Record<string, unknown>;
}
