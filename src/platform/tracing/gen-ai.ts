import { type Span, SpanKind } from '@opentelemetry/api';
import { startSpan } from './spans';

/*
 * GenAI semantic-convention attribute names. They are still "development" status, which
 * @opentelemetry/semantic-conventions publishes only from its incubating entry point with the
 * advice to copy them rather than import them (they may change between minor releases).
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
} as const;

/** What an LLM call is about, known before it is sent. */
export interface GenAiRequest {
  /** `chat`, `text_completion`, `embeddings`. */
  operation: string;
  /** `ollama`, `openai`. */
  provider: string;
  model: string;
  maxTokens?: number;
  temperature?: number;
}

/** What the model answered with, as counted by the model server. */
export interface GenAiUsage {
  inputTokens?: number;
  outputTokens?: number;
  responseModel?: string;
  finishReason?: string;
}

/**
 * Starts the client span of one LLM call, named `{operation} {model}` as the GenAI conventions
 * say; end it with {@link endGenAiSpan} once the answer (or the stream) is complete. Undefined
 * with tracing off. Prompts and completions are never recorded.
 */
export function startGenAiSpan(req: GenAiRequest): Span | undefined {
  const span = startSpan(`${req.operation} ${req.model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      [GEN_AI.operationName]: req.operation,
      [GEN_AI.providerName]: req.provider,
      [GEN_AI.requestModel]: req.model,
      ...(req.maxTokens !== undefined && { [GEN_AI.requestMaxTokens]: req.maxTokens }),
      ...(req.temperature !== undefined && { [GEN_AI.requestTemperature]: req.temperature }),
    },
  });
  return span;
}

/** Records the token counts and ends the span. */
export function endGenAiSpan(span: Span | undefined, usage: GenAiUsage): void {
  if (span === undefined) return;
  if (usage.inputTokens !== undefined) span.setAttribute(GEN_AI.usageInputTokens, usage.inputTokens);
  if (usage.outputTokens !== undefined) span.setAttribute(GEN_AI.usageOutputTokens, usage.outputTokens);
  if (usage.responseModel !== undefined) span.setAttribute(GEN_AI.responseModel, usage.responseModel);
  if (usage.finishReason !== undefined) span.setAttribute(GEN_AI.responseFinishReasons, [usage.finishReason]);
  span.end();
}
