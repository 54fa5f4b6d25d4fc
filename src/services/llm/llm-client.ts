/** One chat message, as Ollama and OpenAI both write it. */
export interface LlmChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
  /** Images for vision models, base64 without a data-URI prefix (Ollama's `images`). */
  images?: string[];
}

export interface LlmChatRequest {
  messages: LlmChatMessage[];
  /** Omitted: the gateway's default chat model. */
  model?: string;
  /** Ollama model options (`temperature`, `num_predict`, …). */
  options?: Record<string, number | string | boolean>;
  /** Ollama structured output: `'json'` or a JSON schema the answer must follow. */
  format?: 'json' | Record<string, unknown>;
  signal?: AbortSignal;
}

export interface LlmChatResult {
  content: string;
  model: string;
  /** From Ollama's final chunk, when known. */
  promptTokens?: number;
  completionTokens?: number;
}

/** One event of a streamed chat: a piece of the answer, then exactly one `done`. */
export type LlmChatStreamEvent =
  | { type: 'token'; text: string }
  | { type: 'done'; model: string; doneReason?: string; promptTokens?: number; completionTokens?: number };

export interface LlmEmbedRequest {
  input: string[];
  /** Omitted: the gateway's default embedding model. */
  model?: string;
  signal?: AbortSignal;
}

export interface LlmEmbedResult {
  /** One vector per input, same order. */
  embeddings: number[][];
  model: string;
}

/**
 * What other services use of the LLM gateway. The `llm` module provides it under
 * {@link LLM_CLIENT} from a global module, so consumers inject it with `@Optional()` and work
 * (with reduced features) when the gateway is not part of the app at all.
 *
 * Calls reject with domain errors: `LlmUnavailableError` (LLM.UNAVAILABLE) when the gateway is
 * down, and the gateway's upstream errors (UPSTREAM.TIMEOUT, LLM.MODEL_NOT_FOUND, …) otherwise.
 */
export interface LlmClient {
  /** Whether the gateway can serve right now (service running, an upstream healthy). Cheap; no I/O. */
  isAvailable(): boolean;
  chat(request: LlmChatRequest): Promise<LlmChatResult>;
  /**
   * Streams the answer; `request.signal` aborting stops the upstream request. Optional until the
   * gateway implements it: consumers treat a client without it as unable to stream (503).
   */
  chatStream?(request: LlmChatRequest): AsyncIterable<LlmChatStreamEvent>;
  embed(request: LlmEmbedRequest): Promise<LlmEmbedResult>;
}

/** DI token of the {@link LlmClient}. */
export const LLM_CLIENT = Symbol('LLM_CLIENT');
