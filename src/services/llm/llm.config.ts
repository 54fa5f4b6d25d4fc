import { IsIn, IsInt, IsString, Max, Min, ValidateBy } from 'class-validator';
import { defineEnvNamespace, EnvInt } from '../../platform/config';
import { UPSTREAM_STRATEGIES, type UpstreamStrategyName } from '../../platform/upstream';
import { parseOllamaUrls } from './ollama-urls';

const ollamaUrlsProblem = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return 'OLLAMA_URLS must be a string';
  try {
    return parseOllamaUrls(value).length === 0 ? 'OLLAMA_URLS must name at least one Ollama URL' : undefined;
  } catch (err) {
    return (err as Error).message;
  }
};

const IsOllamaUrls = () =>
  ValidateBy({
    name: 'isOllamaUrls',
    validator: {
      validate: (value: unknown) => ollamaUrlsProblem(value) === undefined,
      defaultMessage: (args) => ollamaUrlsProblem(args?.value) ?? '',
    },
  });

class LlmEnv {
  /**
   * Ollama instances, comma-separated; each `url` or `url|weight` (weight: positive integer share
   * of traffic), e.g. `http://gpu-a:11434|3,http://gpu-b:11434`.
   */
  @IsOllamaUrls()
  OLLAMA_URLS: string = 'http://127.0.0.1:11434';

  /** How requests are spread over the instances (see docs/upstreams). */
  @IsIn(UPSTREAM_STRATEGIES)
  OLLAMA_STRATEGY: UpstreamStrategyName = 'least-outstanding';

  /** Every instance is probed (`/api/version`, `/api/tags`) this often. */
  @EnvInt()
  @IsInt()
  @Min(500)
  @Max(300_000)
  LLM_HEALTH_INTERVAL_MS: number = 5_000;

  /** Time allowed for Ollama's first byte: loading a model into memory can take a while. */
  @EnvInt()
  @IsInt()
  @Min(100)
  LLM_FIRST_BYTE_TIMEOUT_MS: number = 120_000;

  /** Time allowed for a whole answer (stream included). */
  @EnvInt()
  @IsInt()
  @Min(100)
  LLM_TOTAL_TIMEOUT_MS: number = 600_000;

  @IsString()
  LLM_DEFAULT_CHAT_MODEL: string = 'llama3.2:3b';

  @IsString()
  LLM_DEFAULT_EMBED_MODEL: string = 'nomic-embed-text:latest';

  /** Most messages in one chat request. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10_000)
  LLM_MAX_MESSAGES: number = 200;

  /** Most characters of prompt text (all messages, or prompt + system, or all embedding inputs). */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(10_000_000)
  LLM_MAX_PROMPT_CHARS: number = 200_000;

  /** Chat and generate calls per caller per minute, per route (native and drop-in alike). */
  @EnvInt()
  @IsInt()
  @Min(1)
  LLM_CHAT_PER_MINUTE: number = 30;

  /** Embedding calls per caller per minute, per route. */
  @EnvInt()
  @IsInt()
  @Min(1)
  LLM_EMBED_PER_MINUTE: number = 120;

  /** Streamed answers a caller may start per minute, across every LLM route. */
  @EnvInt()
  @IsInt()
  @Min(1)
  LLM_STREAMS_PER_MINUTE: number = 20;
}

export const llmConfig = defineEnvNamespace('llm', LlmEnv, (env) => ({
  instances: parseOllamaUrls(env.OLLAMA_URLS),
  strategy: env.OLLAMA_STRATEGY,
  healthIntervalMs: env.LLM_HEALTH_INTERVAL_MS,
  firstByteTimeoutMs: env.LLM_FIRST_BYTE_TIMEOUT_MS,
  totalTimeoutMs: env.LLM_TOTAL_TIMEOUT_MS,
  defaultChatModel: env.LLM_DEFAULT_CHAT_MODEL,
  defaultEmbedModel: env.LLM_DEFAULT_EMBED_MODEL,
  maxMessages: env.LLM_MAX_MESSAGES,
  maxPromptChars: env.LLM_MAX_PROMPT_CHARS,
  chatPerMinute: env.LLM_CHAT_PER_MINUTE,
  embedPerMinute: env.LLM_EMBED_PER_MINUTE,
  streamsPerMinute: env.LLM_STREAMS_PER_MINUTE,
}));
export type LlmConfig = ReturnType<typeof llmConfig>;
