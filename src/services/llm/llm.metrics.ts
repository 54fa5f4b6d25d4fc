import { Counter, Histogram } from 'prom-client';
import type { MetricsService } from '../../platform/metrics';

/** The gateway's own metrics (HTTP RED metrics and upstream metrics come from the platform). */
export class LlmMetrics {
  readonly calls: Counter<'operation' | 'outcome'>;
  readonly tokens: Counter<'model' | 'kind'>;
  readonly firstToken: Histogram<'model'>;

  constructor(metrics: MetricsService) {
    this.calls = new Counter({
      name: metrics.name('llm_calls_total'),
      help: 'Calls to Ollama by operation (chat, generate, embed, …) and outcome (ok, error, aborted)',
      labelNames: ['operation', 'outcome'],
      registers: [metrics.registry],
    });
    this.tokens = new Counter({
      name: metrics.name('llm_tokens_total'),
      help: "Tokens reported by Ollama's final chunks, by model and kind (prompt, completion); only models that answered",
      labelNames: ['model', 'kind'],
      registers: [metrics.registry],
    });
    this.firstToken = new Histogram({
      name: metrics.name('llm_time_to_first_token_seconds'),
      help: 'From sending a streamed request to Ollama until its first chunk, by model',
      labelNames: ['model'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [metrics.registry],
    });
  }
}
