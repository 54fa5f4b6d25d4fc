import { Injectable } from '@nestjs/common';
import type {
  LlmChatRequest,
  LlmChatResult,
  LlmChatStreamEvent,
  LlmClient,
  LlmEmbedRequest,
  LlmEmbedResult,
} from './llm-client';
import { LlmGateway } from './llm-gateway.service';
import { LlmRequestPolicy } from './llm-request-policy';
import { LlmUnavailableError } from './llm.errors';
import { OllamaRelay } from './ollama-relay.service';
import type { OllamaChunk, OllamaEmbedResponse } from './ollama.types';

/**
 * The {@link LlmClient} other services get under `LLM_CLIENT`: the gateway's pool, checks and
 * metrics, called in-process. Refuses with LLM.UNAVAILABLE while the gateway cannot serve.
 */
@Injectable()
export class GatewayLlmClient implements LlmClient {
  constructor(
    private readonly gateway: LlmGateway,
    private readonly relay: OllamaRelay,
    private readonly policy: LlmRequestPolicy,
  ) {}

  /** Running and some instance answered its last probe (or a real call). */
  isAvailable(): boolean {
    return this.gateway.isAvailable();
  }

  /** One non-streamed chat answer. */
  async chat(request: LlmChatRequest): Promise<LlmChatResult> {
    if (!this.isAvailable()) throw new LlmUnavailableError();
    const model = this.policy.model(request.model, 'chat');
    this.policy.messages(request.messages);
    const out = await this.relay.json<OllamaChunk>(
      'chat',
      '/api/chat',
      { model, messages: request.messages, options: request.options, format: request.format, stream: false },
      { signal: request.signal },
    );
    return {
      content: out.message?.content ?? '',
      model: out.model,
      promptTokens: out.prompt_eval_count,
      completionTokens: out.eval_count,
    };
  }

  /** The answer as it is generated; `signal` stops the upstream call. */
  async *chatStream(request: LlmChatRequest): AsyncGenerator<LlmChatStreamEvent> {
    if (!this.isAvailable()) throw new LlmUnavailableError();
    const model = this.policy.model(request.model, 'chat');
    this.policy.messages(request.messages);
    const res = await this.relay.send(
      'chat',
      '/api/chat',
      { model, messages: request.messages, options: request.options, format: request.format, stream: true },
      { signal: request.signal },
    );
    yield* this.relay.chunks('chat', res, (chunk): LlmChatStreamEvent | undefined => {
      if (chunk.done) {
        return {
          type: 'done',
          model: chunk.model,
          doneReason: chunk.done_reason,
          promptTokens: chunk.prompt_eval_count,
          completionTokens: chunk.eval_count,
        };
      }
      const text = chunk.message?.content ?? '';
      return text === '' ? undefined : { type: 'token', text };
    });
  }

  /** One vector per input, in order. */
  async embed(request: LlmEmbedRequest): Promise<LlmEmbedResult> {
    if (!this.isAvailable()) throw new LlmUnavailableError();
    const model = this.policy.model(request.model, 'embed');
    const input = this.policy.embedInput(request.input);
    const out = await this.relay.json<OllamaEmbedResponse>(
      'embed',
      '/api/embed',
      { model, input },
      { signal: request.signal },
    );
    return { embeddings: out.embeddings, model: out.model };
  }
}
