import { RequestValidationError } from '../../platform/errors';
import type { LlmConfig } from './llm.config';
import { LlmModelNotAllowedError, LlmPromptTooLargeError } from './llm.errors';
import { isModelName, normalizeModelName } from './model-name';

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;

const invalid = (field: string, message: string) =>
  new RequestValidationError(message, { fieldErrors: [{ field, message }] });

/**
 * The checks every LLM surface (native, Ollama- and OpenAI-compatible) applies before calling
 * Ollama: model name and allow-list, message count and roles, prompt size. The drop-in surfaces
 * accept their clients' whole vocabulary, so these checks work on unvalidated input.
 */
export class LlmRequestPolicy {
  constructor(
    private readonly config: LlmConfig,
    private readonly allowedModels: () => readonly string[],
  ) {}

  /** The model to use (the default when omitted); refuses malformed or not-allowed names. */
  model(value: unknown, kind: 'chat' | 'embed', field = 'model'): string {
    const model =
      value === undefined || value === null || value === ''
        ? kind === 'chat'
          ? this.config.defaultChatModel
          : this.config.defaultEmbedModel
        : value;
    if (!isModelName(model)) throw invalid(field, `${field} must be a model name like llama3.2:3b or org/model:tag`);
    if (!this.allows(model)) throw new LlmModelNotAllowedError(`Model "${model}" is not allowed on this gateway`);
    return model;
  }

  /** Whether an allow-list is set (runtime config `allowedModels`); without one any model may be used. */
  restrictsModels(): boolean {
    return this.allowedModels().length > 0;
  }

  /** Whether `model` may be used: on the allow-list (a name without a tag means `:latest`), or no list. */
  allows(model: string): boolean {
    const allowed = this.allowedModels();
    if (allowed.length === 0) return true;
    const wanted = normalizeModelName(model);
    return allowed.some((a) => normalizeModelName(a) === wanted);
  }

  /** Chat messages: a bounded, non-empty list of `{ role, content }` within the prompt budget. */
  messages(value: unknown, field = 'messages'): void {
    if (!Array.isArray(value) || value.length === 0) throw invalid(field, `${field} must be a non-empty array`);
    if (value.length > this.config.maxMessages) {
      throw invalid(field, `${field} has ${value.length} entries; the limit is ${this.config.maxMessages}`);
    }
    let chars = 0;
    value.forEach((m: unknown, i) => {
      const msg = m as { role?: unknown; content?: unknown };
      if (typeof msg !== 'object' || msg === null) throw invalid(`${field}.${i}`, `${field}.${i} must be an object`);
      if (!CHAT_ROLES.includes(msg.role as (typeof CHAT_ROLES)[number])) {
        throw invalid(`${field}.${i}.role`, `${field}.${i}.role must be one of ${CHAT_ROLES.join(', ')}`);
      }
      chars += textLength(msg.content, `${field}.${i}.content`);
    });
    this.promptChars(chars);
  }

  /** A prompt (and optional system text) within the budget. */
  prompt(prompt: unknown, system?: unknown): void {
    this.promptChars(textLength(prompt, 'prompt') + textLength(system, 'system'));
  }

  /** Embedding input: a string or a non-empty list of strings within the budget. */
  embedInput(value: unknown, field = 'input'): string[] {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string')) {
      throw invalid(field, `${field} must be a string or a non-empty array of strings`);
    }
    if (list.length > this.config.maxMessages) {
      throw invalid(field, `${field} has ${list.length} entries; the limit is ${this.config.maxMessages}`);
    }
    this.promptChars((list as string[]).reduce((n, s) => n + s.length, 0));
    return list as string[];
  }

  private promptChars(chars: number): void {
    if (chars > this.config.maxPromptChars) {
      throw new LlmPromptTooLargeError(`The prompt is ${chars} characters; the limit is ${this.config.maxPromptChars}`);
    }
  }
}

/** Length of a text field (absent: 0); content may also be OpenAI-style parts. */
function textLength(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) {
    return value.reduce<number>((n, part) => {
      const text = (part as { text?: unknown })?.text;
      return n + (typeof text === 'string' ? text.length : 0);
    }, 0);
  }
  throw invalid(field, `${field} must be a string`);
}
