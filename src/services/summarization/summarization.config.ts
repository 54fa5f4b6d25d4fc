import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { defineEnvNamespace, EnvInt } from '../../platform/config';

class SummarizationEnv {
  /** Longest text accepted, in characters (413 beyond). */
  @EnvInt()
  @IsInt()
  @Min(1_000)
  @Max(5_000_000)
  SUMMARY_MAX_TEXT_CHARS: number = 200_000;

  /** Most documents in one batch request. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(100)
  SUMMARY_BATCH_MAX_DOCUMENTS: number = 20;

  /** Sentences kept when the request gives neither maxSentences nor ratio. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(50)
  SUMMARY_DEFAULT_SENTENCES: number = 3;

  /** Model for abstractive summaries; unset: the LLM gateway's default chat model. */
  @IsOptional()
  @IsString()
  SUMMARY_LLM_MODEL?: string;

  /** Text sent to the LLM is cut down (extractively) to this many characters first. */
  @EnvInt()
  @IsInt()
  @Min(500)
  SUMMARY_LLM_MAX_INPUT_CHARS: number = 12_000;
}

export const summarizationConfig = defineEnvNamespace('summarization', SummarizationEnv, (env) => ({
  maxTextChars: env.SUMMARY_MAX_TEXT_CHARS,
  batchMaxDocuments: env.SUMMARY_BATCH_MAX_DOCUMENTS,
  defaultSentences: env.SUMMARY_DEFAULT_SENTENCES,
  llmModel: env.SUMMARY_LLM_MODEL || undefined,
  llmMaxInputChars: env.SUMMARY_LLM_MAX_INPUT_CHARS,
}));
export type SummarizationConfig = ReturnType<typeof summarizationConfig>;
