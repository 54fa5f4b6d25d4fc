import { ThrottleFromConfig } from '../../platform/route-metadata';
import { llmConfig, type LlmConfig } from './llm.config';

const MINUTE_MS = 60_000;

/** Chat and generate: LLM_CHAT_PER_MINUTE per caller and route (the `sustained` throttler). */
export const ChatRateLimit = () =>
  ThrottleFromConfig('sustained', llmConfig.KEY, (c: LlmConfig) => c.chatPerMinute, MINUTE_MS);

/** Embeddings: LLM_EMBED_PER_MINUTE per caller and route. */
export const EmbedRateLimit = () =>
  ThrottleFromConfig('sustained', llmConfig.KEY, (c: LlmConfig) => c.embedPerMinute, MINUTE_MS);
