/** Ollama's wire format (https://github.com/ollama/ollama/blob/main/docs/api.md), the parts the gateway reads. */

export interface OllamaMessage {
  role: string;
  content: string;
  images?: string[];
  [extra: string]: unknown;
}

/** Counts and durations (nanoseconds) of the final chunk. */
export interface OllamaStats {
  done_reason?: string;
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
  prompt_eval_duration?: number;
  eval_count?: number;
  eval_duration?: number;
}

/** One `/api/chat` or `/api/generate` chunk (or the whole answer when `stream: false`). */
export interface OllamaChunk extends OllamaStats {
  model: string;
  created_at: string;
  done: boolean;
  /** chat */
  message?: OllamaMessage;
  /** generate */
  response?: string;
  /** A mid-stream failure line. */
  error?: string;
}

export interface OllamaEmbedResponse {
  model: string;
  embeddings: number[][];
  total_duration?: number;
  load_duration?: number;
  prompt_eval_count?: number;
}

export interface OllamaTagsResponse {
  models: {
    name: string;
    model: string;
    modified_at: string;
    size: number;
    digest: string;
    details?: Record<string, unknown>;
  }[];
}

/** The text a chunk adds, chat or generate. */
export function chunkText(chunk: OllamaChunk): string {
  return chunk.message?.content ?? chunk.response ?? '';
}
