import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { OllamaChunk } from '../ollama.types';

const ms = (ns: number | undefined) => (typeof ns === 'number' ? Math.round(ns / 1_000) / 1_000 : undefined);

/** Counts and timings from Ollama's final chunk (also the data of the SSE `done` event). */
export class LlmStatsDto {
  @ApiProperty({ example: 'llama3.2:3b' })
  model: string;

  @ApiPropertyOptional({ example: 'stop', description: '`stop`, `length` (num_predict reached), `load`' })
  doneReason?: string;

  @ApiPropertyOptional({ example: 26 })
  promptTokens?: number;

  @ApiPropertyOptional({ example: 120 })
  completionTokens?: number;

  @ApiPropertyOptional({ example: 2310.5, description: 'Ollama total_duration, in ms' })
  totalDurationMs?: number;

  @ApiPropertyOptional({ example: 12.1 })
  loadDurationMs?: number;

  @ApiPropertyOptional({ example: 130.2 })
  promptEvalDurationMs?: number;

  @ApiPropertyOptional({ example: 2150.4 })
  evalDurationMs?: number;

  @ApiPropertyOptional({ example: 55.8, description: 'completionTokens / evalDuration' })
  tokensPerSecond?: number;
}

export function statsOf(chunk: OllamaChunk): LlmStatsDto {
  const evalMs = ms(chunk.eval_duration);
  return {
    model: chunk.model,
    doneReason: chunk.done_reason,
    promptTokens: chunk.prompt_eval_count,
    completionTokens: chunk.eval_count,
    totalDurationMs: ms(chunk.total_duration),
    loadDurationMs: ms(chunk.load_duration),
    promptEvalDurationMs: ms(chunk.prompt_eval_duration),
    evalDurationMs: evalMs,
    tokensPerSecond:
      evalMs && chunk.eval_count !== undefined ? Math.round((chunk.eval_count / evalMs) * 100_000) / 100 : undefined,
  };
}
