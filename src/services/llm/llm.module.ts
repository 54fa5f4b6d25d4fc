import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CompatErrorDialects } from './compat/compat-error-dialects';
import { LLM_CLIENT } from './llm-client';
import { LlmGateway } from './llm-gateway.service';
import { LlmStreamLimiter } from './llm-stream-limiter';
import { llmConfig } from './llm.config';
import { LlmController } from './llm.controller';
import { OllamaCompatController } from './ollama-compat/ollama-compat.controller';
import { OpenAiCompatController } from './openai-compat/openai-compat.controller';

/**
 * The LLM gateway (`llm`): `/v1/llm/*`, the Ollama-compatible `/ollama/api/*` and the
 * OpenAI-compatible `/v1/chat/completions`, `/v1/embeddings`, `/v1/models`, all over one pool of
 * Ollama instances (OLLAMA_URLS). Global so that other services can inject {@link LLM_CLIENT}
 * (optionally) without importing this module.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(llmConfig)],
  controllers: [LlmController, OllamaCompatController, OpenAiCompatController],
  providers: [LlmGateway, LlmStreamLimiter, CompatErrorDialects, { provide: LLM_CLIENT, useExisting: LlmGateway }],
  exports: [LLM_CLIENT, LlmGateway],
})
export class LlmModule {}
