import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBase64, IsBoolean, IsObject, IsOptional, IsString } from 'class-validator';
import { LlmStatsDto } from './llm-stats.dto';

export class GenerateRequestDto {
  @ApiPropertyOptional({ example: 'llava:7b', description: 'Default: LLM_DEFAULT_CHAT_MODEL' })
  @IsOptional()
  @IsString()
  model?: string;

  @ApiProperty({ example: 'Describe this picture.' })
  @IsString()
  prompt: string;

  @ApiPropertyOptional({ description: 'System prompt (overrides the Modelfile one)' })
  @IsOptional()
  @IsString()
  system?: string;

  @ApiPropertyOptional({ type: [String], description: 'Base64 images (no data: prefix) for vision models' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsBase64({}, { each: true })
  images?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { temperature: 0 } })
  @IsOptional()
  @IsObject()
  options?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'true (or Accept: text/event-stream): SSE `token` events, then `done`' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

export class GenerateResponseDto extends LlmStatsDto {
  @ApiProperty({ example: 'A red fox sitting in the snow.' })
  response: string;
}
