import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** `POST /v1/comfy/templates`: a workflow with a parameter map; each save is a new version. */
export class ComfyTemplateRequestDto {
  @ApiProperty({ example: 'product-shot', pattern: '^[a-z][a-z0-9_-]{0,63}$' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,63}$/, {
    message: 'name must be lower-case letters, digits, - and _, starting with a letter',
  })
  name: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({
    description:
      'The workflow: API format (node id → {class_type, inputs}) or editor format (nodes + links), converted on save',
    type: 'object',
    additionalProperties: true,
  })
  @IsObject()
  workflow: Record<string, unknown>;

  @ApiProperty({
    description:
      'Parameter name → { type: string|integer|number|boolean|image, targets: [{ node, input }], required?, default?, min?, max?, enum?, maxLength?, description? }',
    type: 'object',
    additionalProperties: true,
    example: { prompt: { type: 'string', required: true, targets: [{ node: '6', input: 'text' }] } },
  })
  @IsObject()
  params: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Safe to run twice: resubmitted to another server if the one running it dies' })
  @IsOptional()
  @IsBoolean()
  idempotent?: boolean;

  @ApiPropertyOptional({
    enum: ['tenant', 'global'],
    default: 'tenant',
    description: 'global: every tenant sees it (admin only)',
  })
  @IsOptional()
  @IsIn(['tenant', 'global'])
  scope?: 'tenant' | 'global';
}

/** `:ref` of `GET /v1/comfy/templates/:ref`. */
export class ComfyTemplateRefParamDto {
  @ApiProperty({ example: 'text2img@1' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]{0,63}(@[1-9][0-9]{0,8})?$/, {
    message: 'ref must be a template name, optionally name@version',
  })
  ref: string;
}
