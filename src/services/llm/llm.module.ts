import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CompatErrorDialects } from './compat/compat-error-dialects';
import { MetricsService } from '../../platform/metrics';
import { RuntimeConfigService } from '../../platform/runtime-config';
import { GatewayLlmClient } from './gateway-llm-client.service';
import { LLM_CLIENT } from './llm-client';
import { LLM_SERVICE, LlmGateway } from './llm-gateway.service';
import { LlmRequestPolicy } from './llm-request-policy';
import { LlmStreamLimiter } from './llm-stream-limiter';
import { llmConfig, type LlmConfig } from './llm.config';
import { LlmController } from './llm.controller';
import { LlmMetrics } from './llm.metrics';
import type { LlmSettings } from './llm.settings';
import { OllamaRelay } from './ollama-relay.service';
import { OllamaCompatController } from './ollama-compat/ollama-compat.controller';
import { OpenAiCompatController } from './openai-compat/openai-compat.controller';

/**
 * The LLM gateway (`llm`): `/v1/llm/*`, the Ollama-compatible `/ollama/api/*` and the
 * OpenAI-compatible `/v1/chat/completions`, `/v1/embeddings`, `/v1/models`, all over one pool of
 * Ollama instances (OLLAMA_URLS). In three parts: the managed service ({@link LlmGateway}: pool,
 * lifecycle, health), the relay the controllers call ({@link OllamaRelay}) and the client other
 * services call ({@link GatewayLlmClient}). Global so that other services can inject
 * {@link LLM_CLIENT} (optionally) without importing this module.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(llmConfig)],
  controllers: [LlmController, OllamaCompatController, OpenAiCompatController],
  providers: [
    LlmGateway,
    OllamaRelay,
    GatewayLlmClient,
    LlmStreamLimiter,
    CompatErrorDialects,
    {
      provide: LlmRequestPolicy,
      inject: [llmConfig.KEY, RuntimeConfigService],
      useFactory: (config: LlmConfig, runtime: RuntimeConfigService) =>
        new LlmRequestPolicy(config, () => runtime.get<LlmSettings>(LLM_SERVICE).allowedModels),
    },
    { provide: LlmMetrics, inject: [MetricsService], useFactory: (metrics: MetricsService) => new LlmMetrics(metrics) },
    { provide: LLM_CLIENT, useExisting: GatewayLlmClient },
  ],
  exports: [LLM_CLIENT],
})
export class LlmModule {}
