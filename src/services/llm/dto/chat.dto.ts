import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBase64,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  ValidateNested,
} from 'class-validator';
import { CHAT_ROLES } from '../llm-request-policy';
import { LlmStatsDto } from './llm-stats.dto';

export class ChatMessageDto {
  @ApiProperty({ enum: CHAT_ROLES, example: 'user' })
  @IsIn(CHAT_ROLES)
  role: (typeof CHAT_ROLES)[number];

  @ApiProperty({ example: 'Why is the sky blue?' })
  @IsString()
  content: string;

  @ApiPropertyOptional({ type: [String], description: 'Base64 images for vision models' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsBase64({}, { each: true })
  images?: string[];
}

export class ChatRequestDto {
  @ApiPropertyOptional({ example: 'llama3.2:3b', description: 'Default: LLM_DEFAULT_CHAT_MODEL' })
  @IsOptional()
  @IsString()
  model?: string;

  @ApiProperty({ type: [ChatMessageDto] })
  @IsArray()
  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { temperature: 0.2, num_predict: 256 },
    description: 'Ollama model options (temperature, top_p, num_predict, num_ctx, seed, stop, …)',
  })
  @IsOptional()
  @IsObject()
  options?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'true (or Accept: text/event-stream): SSE `token` events, then `done`' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

export class ChatAnswerMessageDto {
  @ApiProperty({ example: 'assistant' })
  role: string;

  @ApiProperty({ example: 'Because of Rayleigh scattering.' })
  content: string;
}

export class ChatResponseDto extends LlmStatsDto {
  @ApiProperty({ type: ChatAnswerMessageDto })
  message: ChatAnswerMessageDto;
}
