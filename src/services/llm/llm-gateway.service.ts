import { Inject, Injectable, Logger } from '@nestjs/common';
import { FennecError } from '../../platform/errors';
import { MetricsService } from '../../platform/metrics';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { RuntimeConfigService } from '../../platform/runtime-config';
import {
  type UpstreamPool,
  UpstreamPools,
  type UpstreamResponse,
  UpstreamBadResponseError,
  UpstreamCallAbortedError,
  UpstreamUnavailableError,
} from '../../platform/upstream';
import type {
  LlmChatRequest,
  LlmChatResult,
  LlmChatStreamEvent,
  LlmClient,
  LlmEmbedRequest,
  LlmEmbedResult,
} from './llm-client';
import { LlmRequestPolicy } from './llm-request-policy';
import { applyLlmRouteLimits } from './llm-route-limits';
import { llmConfig, type LlmConfig } from './llm.config';
import {
  LlmGenerationFailedError,
  LlmModelNotFoundError,
  LlmRequestRejectedError,
  LlmUnavailableError,
} from './llm.errors';
import { LlmMetrics } from './llm.metrics';
import { LlmSettings } from './llm.settings';
import { OllamaHealthProber } from './ollama-health-prober';
import { normalizeModelName } from './model-name';
import type { OllamaChunk, OllamaEmbedResponse, OllamaTagsResponse } from './ollama.types';

export const LLM_SERVICE = 'llm';
export const OLLAMA_POOL = 'ollama';

/** Per-call context: the caller's cancellation and request id (forwarded to Ollama). */
export interface LlmCallOptions {
  signal?: AbortSignal;
  requestId?: string;
}

/** One line of an Ollama stream: its text as sent (for byte-faithful relaying) and its chunk. */
export class OllamaLine {
  constructor(
    readonly raw: string,
    private parsed?: OllamaChunk,
  ) {}

  /** Parsed on first use: a relay that only forwards `raw` never pays for it. */
  get chunk(): OllamaChunk {
    return (this.parsed ??= parseLine(this.raw));
  }
}

function parseLine(raw: string): OllamaChunk {
  try {
    return JSON.parse(raw) as OllamaChunk;
  } catch {
    throw new UpstreamBadResponseError('Ollama sent a line that is not JSON');
  }
}

type Operation = 'chat' | 'generate' | 'embed' | 'show' | 'tags' | 'version';

/**
 * The LLM gateway: a pool of Ollama instances behind every LLM route (native, Ollama- and
 * OpenAI-compatible) and the {@link LlmClient} other services use.
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
export class LlmGateway implements ManagedLifecycle, LlmClient {
  private readonly logger = new Logger('llm');
  readonly policy: LlmRequestPolicy;
  readonly metrics: LlmMetrics;
  private pool?: UpstreamPool;
  private prober?: OllamaHealthProber;
  private running = false;

  constructor(
    @Inject(llmConfig.KEY) readonly config: LlmConfig,
    private readonly pools: UpstreamPools,
    private readonly runtimeConfig: RuntimeConfigService,
    metrics: MetricsService,
  ) {
    this.metrics = new LlmMetrics(metrics);
    applyLlmRouteLimits(config);
    this.policy = new LlmRequestPolicy(config, () => this.settings().allowedModels);
  }

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

  /** {@link LlmClient}: running and some instance answered its last probe (or a real call). */
  isAvailable(): boolean {
    return this.running && (this.prober?.anyUp() ?? false);
  }

  settings(): LlmSettings {
    return this.runtimeConfig.get<LlmSettings>(LLM_SERVICE);
  }

  /**
   * Sends one call to an Ollama instance. Resolves once a 2xx answer's headers arrived; maps
   * Ollama's 404 to LLM.MODEL_NOT_FOUND and other 4xx to LLM.REQUEST_REJECTED, with its message.
   */
  async send(
    operation: Operation,
    path: string,
    body: object | undefined,
    options: LlmCallOptions = {},
  ): Promise<UpstreamResponse> {
    const pool = this.pool;
    if (!this.running || pool === undefined) throw new LlmUnavailableError();
    if (!this.prober?.anyUp()) {
      this.metrics.calls.inc({ operation, outcome: 'unavailable' });
      throw new UpstreamUnavailableError('No Ollama instance is reachable right now', {
        retryAfterSeconds: Math.max(1, Math.ceil(this.config.healthIntervalMs / 1000)),
      });
    }
    let res: UpstreamResponse;
    try {
      res = await pool.request({
        method: body === undefined ? 'GET' : 'POST',
        path,
        body,
        // Ollama calls change nothing, so one that failed with a 5xx may go to another instance.
        idempotent: true,
        signal: options.signal,
        requestId: options.requestId,
      });
    } catch (err) {
      this.metrics.calls.inc({ operation, outcome: err instanceof UpstreamCallAbortedError ? 'aborted' : 'error' });
      throw err;
    }
    this.prober?.markUp(res.instance);
    if (res.ok) return res;
    this.metrics.calls.inc({ operation, outcome: 'rejected' });
    const message = await errorMessageOf(res);
    if (res.status === 404) throw new LlmModelNotFoundError(message ?? 'Model not found on Ollama');
    throw new LlmRequestRejectedError(message ?? `Ollama refused the request (${res.status})`);
  }

  /** A whole JSON answer. */
  async json<T>(operation: Operation, path: string, body?: object, options: LlmCallOptions = {}): Promise<T> {
    const res = await this.send(operation, path, body, options);
    try {
      const out = await res.json<T>();
      this.metrics.calls.inc({ operation, outcome: 'ok' });
      this.countTokens(out as OllamaChunk);
      return out;
    } catch (err) {
      this.metrics.calls.inc({ operation, outcome: 'error' });
      throw asStreamError(err);
    }
  }

  /**
   * The lines of a streamed (NDJSON) answer as they arrive. Ends after the `done` chunk; throws
   * LLM.GENERATION_FAILED for Ollama's in-band `{"error"}` line and UPSTREAM.BAD_RESPONSE when the
   * stream breaks off before `done`. Stopping early (`return()`) closes the upstream request.
   */
  async *lines(operation: Operation, res: UpstreamResponse): AsyncGenerator<OllamaLine> {
    let finished = false;
    const sent = performance.now();
    let first = true;
    try {
      for await (const raw of res.lines()) {
        // A token line has the key `"done":false` (a key cannot occur unescaped inside a JSON
        // string): only the first line, the final one, in-band errors and oddities are parsed here.
        if (!first && raw.includes('"done":false') && !raw.includes('"error":')) {
          yield new OllamaLine(raw);
          continue;
        }
        const chunk = parseLine(raw);
        if (typeof chunk.error === 'string') throw new LlmGenerationFailedError(`Ollama failed: ${chunk.error}`);
        if (first) {
          first = false;
          this.metrics.firstToken.observe({ model: chunk.model }, (performance.now() - sent) / 1000);
        }
        if (chunk.done) {
          finished = true;
          this.countTokens(chunk);
          this.metrics.calls.inc({ operation, outcome: 'ok' });
        }
        yield new OllamaLine(raw, chunk);
        if (chunk.done) return;
      }
      throw new UpstreamBadResponseError('Ollama ended the stream before its final chunk');
    } catch (err) {
      this.metrics.calls.inc({ operation, outcome: err instanceof UpstreamCallAbortedError ? 'aborted' : 'error' });
      throw asStreamError(err);
    } finally {
      if (!finished) void res.cancel().catch(() => undefined);
    }
  }

  /** {@link LlmClient.chat}: one non-streamed chat answer. */
  async chat(request: LlmChatRequest): Promise<LlmChatResult> {
    if (!this.isAvailable()) throw new LlmUnavailableError();
    const model = this.policy.model(request.model, 'chat');
    this.policy.messages(request.messages);
    const out = await this.json<OllamaChunk>(
      'chat',
      '/api/chat',
      { model, messages: request.messages, options: request.options, stream: false },
      { signal: request.signal },
    );
    return {
      content: out.message?.content ?? '',
      model: out.model,
      promptTokens: out.prompt_eval_count,
      completionTokens: out.eval_count,
    };
  }

  /** {@link LlmClient.chatStream}: the answer as it is generated; `signal` stops the upstream call. */
  async *chatStream(request: LlmChatRequest): AsyncGenerator<LlmChatStreamEvent> {
    if (!this.isAvailable()) throw new LlmUnavailableError();
    const model = this.policy.model(request.model, 'chat');
    this.policy.messages(request.messages);
    const res = await this.send(
      'chat',
      '/api/chat',
      { model, messages: request.messages, options: request.options, stream: true },
      { signal: request.signal },
    );
    for await (const { chunk } of this.lines('chat', res)) {
      if (chunk.done) {
        yield {
          type: 'done',
          model: chunk.model,
          doneReason: chunk.done_reason,
          promptTokens: chunk.prompt_eval_count,
          completionTokens: chunk.eval_count,
        };
        return;
      }
      const text = chunk.message?.content ?? '';
      if (text !== '') yield { type: 'token', text };
    }
  }

  /** {@link LlmClient.embed}: one vector per input, in order. */
  async embed(request: LlmEmbedRequest): Promise<LlmEmbedResult> {
    if (!this.isAvailable()) throw new LlmUnavailableError();
    const model = this.policy.model(request.model, 'embed');
    const input = this.policy.embedInput(request.input);
    const out = await this.json<OllamaEmbedResponse>(
      'embed',
      '/api/embed',
      { model, input },
      { signal: request.signal },
    );
    return { embeddings: out.embeddings, model: out.model };
  }

  /** Ollama's `/api/tags`, narrowed to the allow-list when one is set. */
  async tags(options: LlmCallOptions = {}): Promise<OllamaTagsResponse> {
    const tags = await this.json<OllamaTagsResponse>('tags', '/api/tags', undefined, options);
    const allowed = this.settings().allowedModels.map(normalizeModelName);
    if (allowed.length === 0) return tags;
    return { ...tags, models: tags.models.filter((m) => allowed.includes(normalizeModelName(m.name))) };
  }

  private countTokens(chunk: OllamaChunk): void {
    if (typeof chunk?.model !== 'string') return;
    if (typeof chunk.prompt_eval_count === 'number') {
      this.metrics.tokens.inc({ model: chunk.model, kind: 'prompt' }, chunk.prompt_eval_count);
    }
    if (typeof chunk.eval_count === 'number') {
      this.metrics.tokens.inc({ model: chunk.model, kind: 'completion' }, chunk.eval_count);
    }
  }
}

/** A caller abort stays as it is; anything else unknown while reading becomes a bad response. */
function asStreamError(err: unknown): unknown {
  if (err instanceof UpstreamCallAbortedError) return err;
  if (err instanceof FennecError) return err;
  return new UpstreamBadResponseError('Ollama broke off its answer', undefined, { cause: err });
}

async function errorMessageOf(res: UpstreamResponse): Promise<string | undefined> {
  try {
    const text = await res.text();
    const parsed = JSON.parse(text) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error.slice(0, 500) : undefined;
  } catch {
    return undefined;
  }
}
