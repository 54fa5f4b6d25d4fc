import { Inject, Injectable, Logger } from '@nestjs/common';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { type UpstreamPool, UpstreamPools, UpstreamUnavailableError } from '../../platform/upstream';
import { llmConfig, type LlmConfig } from './llm.config';
import { LlmUnavailableError } from './llm.errors';
import { LlmSettings } from './llm.settings';
import { OllamaHealthProber } from './ollama-health-prober';

export const LLM_SERVICE = 'llm';
export const OLLAMA_POOL = 'ollama';

/**
 * The LLM gateway as a managed service: the pool of Ollama instances behind every LLM route, its
 * start, stop and health. Calls go through {@link OllamaRelay} (the HTTP surfaces) and
 * `GatewayLlmClient` (other services, through `LLM_CLIENT`), which both ask it for the pool.
 *
 * It starts even when no Ollama is reachable (the default on a fresh machine) and then reports
 * DOWN; the health probe keeps looking, and the gateway serves as soon as an instance answers,
 * with no restart. Until then its routes answer 503 `UPSTREAM.UNAVAILABLE`, and
 * {@link isAvailable} is false so summarization and RAG fall back.
 */
@ManagedService({
  name: LLM_SERVICE,
  critical: false,
  dependsOn: ['upstreams'],
  config: LlmSettings,
  description: 'LLM gateway: load-balanced Ollama instances; native, Ollama- and OpenAI-compatible APIs',
  healthTtlMs: 1_000,
})
@Injectable()
export class LlmGateway implements ManagedLifecycle {
  private readonly logger = new Logger('llm');
  private pool?: UpstreamPool;
  private prober?: OllamaHealthProber;
  private running = false;

  constructor(
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
    private readonly pools: UpstreamPools,
  ) {}

  async start(): Promise<void> {
    const { instances, strategy, firstByteTimeoutMs, totalTimeoutMs, healthIntervalMs } = this.config;
    this.pool =
      this.pools.get(OLLAMA_POOL) ??
      this.pools.create(OLLAMA_POOL, {
        instances,
        strategy,
        timeouts: { firstByteMs: firstByteTimeoutMs, totalMs: totalTimeoutMs },
        // A slow answer from a big model is normal, not a sign of a sick instance.
        breaker: { slowCallMs: firstByteTimeoutMs },
      });
    this.prober = new OllamaHealthProber(
      instances,
      Math.min(2_000, healthIntervalMs),
      (up) =>
        up
          ? this.logger.log('LLM gateway can serve')
          : this.logger.warn('LLM gateway has no reachable Ollama instance'),
      this.pool,
    );
    // Not reaching Ollama is not a start failure: the gateway runs DOWN and recovers by itself.
    await this.prober.start(healthIntervalMs);
    this.running = true;
    if (!this.prober.anyUp()) {
      this.logger.warn(
        { instances: instances.length },
        'no Ollama instance reachable; LLM routes answer 503 until one is',
      );
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.prober?.stop();
    this.pool = undefined;
    await this.pools.remove(OLLAMA_POOL);
  }

  checkHealth(): Promise<ServiceHealthReport> {
    const instances = this.prober?.snapshot() ?? [];
    const up = instances.filter((i) => i.up).length;
    const details = { up, total: instances.length, instances };
    if (up === 0) return Promise.resolve({ status: 'DOWN', reason: 'no Ollama instance reachable', details });
    if (up < instances.length) {
      return Promise.resolve({
        status: 'DEGRADED',
        reason: `${instances.length - up} Ollama instance(s) down`,
        details,
      });
    }
    return Promise.resolve({ status: 'UP', details });
  }

  /** Running and some instance answered its last probe (or a real call). Cheap; no I/O. */
  isAvailable(): boolean {
    return this.running && (this.prober?.anyUp() ?? false);
  }

  /**
   * The pool to send a call to.
   *
   * @throws LlmUnavailableError the service is not running
   * @throws UpstreamUnavailableError no instance is reachable right now (503 with Retry-After)
   */
  servingPool(): UpstreamPool {
    const pool = this.pool;
    if (!this.running || pool === undefined) throw new LlmUnavailableError();
    if (!this.prober?.anyUp()) {
      throw new UpstreamUnavailableError('No Ollama instance is reachable right now', {
        retryAfterSeconds: Math.max(1, Math.ceil(this.config.healthIntervalMs / 1000)),
      });
    }
    return pool;
  }

  /** An instance answered a real call: it counts as up before its next probe. */
  markUp(instance: string): void {
    this.prober?.markUp(instance);
  }
}
