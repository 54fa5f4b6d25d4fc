import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ComfyParamTargetDto {
  @ApiProperty({ example: '6' })
  node: string;

  @ApiProperty({ example: 'text' })
  input: string;
}

export class ComfyTemplateParamDto {
  @ApiProperty({ enum: ['string', 'integer', 'number', 'boolean', 'image'] })
  type: string;

  @ApiProperty({ type: [ComfyParamTargetDto] })
  targets: ComfyParamTargetDto[];

  @ApiPropertyOptional()
  description?: string;

  @ApiPropertyOptional()
  required?: boolean;

  @ApiPropertyOptional({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] })
  default?: string | number | boolean;

  @ApiPropertyOptional()
  min?: number;

  @ApiPropertyOptional()
  max?: number;

  @ApiPropertyOptional({ type: [String] })
  enum?: string[];

  @ApiPropertyOptional()
  maxLength?: number;
}

/** A template version as stored. */
export class ComfyTemplateDto {
  @ApiProperty({ example: 'text2img' })
  name: string;

  @ApiPropertyOptional()
  description?: string;

  @ApiProperty({ description: 'API-format workflow', type: 'object', additionalProperties: true })
  workflow: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ComfyTemplateParamDto' } })
  params: Record<string, ComfyTemplateParamDto>;

  @ApiPropertyOptional()
  idempotent?: boolean;

  @ApiProperty({ description: '`built-in`, `global` or the owning tenant', example: 'acme' })
  scope: string;

  @ApiProperty({ example: 1 })
  version: number;

  @ApiProperty()
  builtIn: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty()
  createdBy: string;
}

export class ComfyTemplateListDto {
  @ApiProperty({ type: [ComfyTemplateDto] })
  templates: ComfyTemplateDto[];
}

export class ComfyModelsDto {
  @ApiProperty({ description: 'The server these lists come from' })
  instance: string;

  @ApiProperty({ type: [String] })
  checkpoints: string[];

  @ApiProperty({ type: [String] })
  loras: string[];

  @ApiProperty({ type: [String] })
  samplers: string[];

  @ApiProperty({ type: [String] })
  schedulers: string[];

  @ApiProperty({ description: 'Node classes the server offers' })
  nodeClasses: number;
}

export class ComfyInstanceQueueDto {
  @ApiProperty()
  instance: string;

  @ApiProperty({ type: [String], description: 'Prompt ids running' })
  running: string[];

  @ApiProperty({ type: [String], description: 'Prompt ids waiting, in order' })
  pending: string[];
}

export class ComfyQueueDto {
  @ApiProperty({ type: [ComfyInstanceQueueDto] })
  instances: ComfyInstanceQueueDto[];
}
