import { Throttle } from '@nestjs/throttler';
import type { LlmConfig } from './llm.config';

const MINUTE_MS = 60_000;

/**
 * Per-minute limits of the LLM routes. Decorators are evaluated once at class definition, before
 * config exists, so they read these values when a request comes (the throttler resolves a
 * function limit per request); {@link applyLlmRouteLimits} sets them from LLM_* config at boot.
 */
const limits = { chat: 30, embed: 120 };

export function applyLlmRouteLimits(config: Pick<LlmConfig, 'chatPerMinute' | 'embedPerMinute'>): void {
  limits.chat = config.chatPerMinute;
  limits.embed = config.embedPerMinute;
}

/** Chat and generate: LLM_CHAT_PER_MINUTE per caller and route (the `sustained` throttler). */
export const ChatRateLimit = () => Throttle({ sustained: { limit: () => limits.chat, ttl: MINUTE_MS } });

/** Embeddings: LLM_EMBED_PER_MINUTE per caller and route. */
export const EmbedRateLimit = () => Throttle({ sustained: { limit: () => limits.embed, ttl: MINUTE_MS } });
