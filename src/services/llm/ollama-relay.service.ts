import { Injectable } from '@nestjs/common';
import { FennecError } from '../../platform/errors';
import { endGenAiSpan, endWithError, runInSpan, type Span, startGenAiSpan } from '../../platform/tracing';
import {
  type UpstreamPool,
  type UpstreamResponse,
  UpstreamBadResponseError,
  UpstreamCallAbortedError,
  UpstreamUnavailableError,
} from '../../platform/upstream';
import { LlmGateway } from './llm-gateway.service';
import { LlmRequestPolicy } from './llm-request-policy';
import { LlmGenerationFailedError, LlmModelNotFoundError, LlmRequestRejectedError } from './llm.errors';
import { LlmMetrics } from './llm.metrics';
import type { OllamaChunk, OllamaTagsResponse } from './ollama.types';

/** Per-call context: the caller's cancellation and request id (forwarded to Ollama). */
export interface LlmCallOptions {
  signal?: AbortSignal;
  requestId?: string;
}

export type OllamaOperation = 'chat' | 'generate' | 'embed' | 'show' | 'tags' | 'version';

/** GenAI semantic-convention operation names of the calls that run a model. */
const GEN_AI_OPERATIONS: Partial<Record<OllamaOperation, string>> = {
  chat: 'chat',
  generate: 'text_completion',
  embed: 'embeddings',
};

/**
 * Called by {@link OllamaRelay.relay} per line: its bytes as Ollama sent them (with the `\n`) and
 * its chunk, parsed on first call (token lines are not parsed unless asked). A promise pauses
 * reading until it settles (a slow client); `false` stops the upstream call.
 */
export type OllamaLineHandler = (raw: Buffer, chunk: () => OllamaChunk) => void | false | Promise<void | false>;

/** A token line has the key `"done":false` (a key cannot occur unescaped inside a JSON string). */
const TOKEN_KEY = Buffer.from('"done":false');
const ERROR_KEY = Buffer.from('"error":');

/** Values {@link OllamaRelay.chunks} queues for a consumer that is behind before it pauses the upstream. */
const MAX_QUEUED = 64;

/**
 * The bridge between {@link OllamaRelay.relay} (lines pushed as they arrive) and a consumer that
 * pulls: an async iterator written by hand, because an async generator costs several promises per
 * step and this runs per token. Ends after the final chunk or with the relay's error; `return()`
 * (the consumer stopped early) stops the upstream call.
 */
class ChunkQueue<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting?: { resolve: (r: IteratorResult<T>) => void; reject: (err: Error) => void };
  private resume?: (go: void | false) => void;
  private ended = false;
  private failure?: Error;
  private gaveUp = false;

  constructor(private readonly cancel: () => void) {}

  readonly stopped = (): boolean => this.gaveUp;

  /** A line's value (undefined: nothing to yield); `last` for the final chunk. */
  push(value: T | undefined, last: boolean): void | false | Promise<void | false> {
    if (this.gaveUp) return false;
    if (value !== undefined) {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (waiting !== undefined) waiting.resolve({ done: false, value });
      else this.queue.push(value);
    }
    if (last) return this.end();
    if (this.queue.length < MAX_QUEUED) return;
    return new Promise<void | false>((resolve) => (this.resume = resolve));
  }

  end(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = err;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting === undefined) return;
    if (err !== undefined) waiting.reject(err);
    else waiting.resolve({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift() as T;
      this.resume?.();
      this.resume = undefined;
      return Promise.resolve({ done: false, value });
    }
    if (this.ended) {
      return this.failure ? Promise.reject(this.failure) : Promise.resolve({ done: true, value: undefined });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.ended && !this.gaveUp) {
      this.gaveUp = true;
      this.resume?.(false);
      this.cancel();
    }
    this.queue.length = 0;
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

function parseLine(raw: string): OllamaChunk {
  try {
    return JSON.parse(raw) as OllamaChunk;
  } catch {
    throw new UpstreamBadResponseError('Ollama sent a line that is not JSON');
  }
}

/**
 * Raw calls to Ollama through the gateway's pool, for the three HTTP surfaces (native, Ollama-
 * and OpenAI-compatible) and the in-process client: one call, a whole JSON answer, or the lines
 * of a streamed answer, with the gateway's call and token metrics and Ollama's errors mapped to
 * domain errors. Request checks are the caller's ({@link LlmRequestPolicy}).
 */
@Injectable()
export class OllamaRelay {
  /** The GenAI span of a model call (tracing on), ended when its answer has been read. */
  private readonly genAiSpans = new WeakMap<UpstreamResponse, Span>();

  constructor(
    private readonly gateway: LlmGateway,
    private readonly metrics: LlmMetrics,
    private readonly policy: LlmRequestPolicy,
  ) {}

  /**
   * Sends one call to an Ollama instance. Resolves once a 2xx answer's headers arrived; maps
   * Ollama's 404 to LLM.MODEL_NOT_FOUND and other 4xx to LLM.REQUEST_REJECTED, with its message.
   */
  async send(
    operation: OllamaOperation,
    path: string,
    body: object | undefined,
    options: LlmCallOptions = {},
  ): Promise<UpstreamResponse> {
    let pool: UpstreamPool;
    try {
      pool = this.gateway.servingPool();
    } catch (err) {
      if (err instanceof UpstreamUnavailableError) this.metrics.calls.inc({ operation, outcome: 'unavailable' });
      throw err;
    }
    const span = this.genAiSpan(operation, body);
    let res: UpstreamResponse;
    try {
      res = await runInSpan(span, () =>
        pool.request({
          method: body === undefined ? 'GET' : 'POST',
          path,
          body,
          // Ollama calls change nothing, so one that failed with a 5xx may go to another instance.
          idempotent: true,
          signal: options.signal,
          requestId: options.requestId,
        }),
      );
    } catch (err) {
      this.metrics.calls.inc({ operation, outcome: err instanceof UpstreamCallAbortedError ? 'aborted' : 'error' });
      if (span) endWithError(span, err);
      throw err;
    }
    this.gateway.markUp(res.instance);
    if (res.ok) {
      if (span) this.genAiSpans.set(res, span);
      return res;
    }
    if (span) endWithError(span, new LlmRequestRejectedError(`Ollama answered ${res.status}`));
    this.metrics.calls.inc({ operation, outcome: 'rejected' });
    const message = await errorMessageOf(res);
    if (res.status === 404) throw new LlmModelNotFoundError(message ?? 'Model not found on Ollama');
    throw new LlmRequestRejectedError(message ?? `Ollama refused the request (${res.status})`);
  }

  /** A whole JSON answer. */
  async json<T>(operation: OllamaOperation, path: string, body?: object, options: LlmCallOptions = {}): Promise<T> {
    const res = await this.send(operation, path, body, options);
    try {
      const out = await res.json<T>();
      this.metrics.calls.inc({ operation, outcome: 'ok' });
      this.countTokens(out as OllamaChunk);
      this.endGenAi(res, out as OllamaChunk);
      return out;
    } catch (err) {
      this.metrics.calls.inc({ operation, outcome: 'error' });
      this.endGenAi(res, undefined, err);
      throw asStreamError(err);
    }
  }

  /**
   * The chunks of a streamed (NDJSON) answer as they arrive, mapped by `map` (undefined: skipped),
   * for consumers that pull (an SSE source, {@link LlmClient.chatStream}). Ends after the `done`
   * chunk (which `map` sees too); rejects with LLM.GENERATION_FAILED for Ollama's in-band
   * `{"error"}` line and UPSTREAM.BAD_RESPONSE when the stream breaks off before `done`. Stopping
   * early (`return()`) closes the upstream request.
   *
   * Built on {@link relay}: values are queued as they arrive and the upstream is paused only when
   * the consumer falls {@link MAX_QUEUED} behind, so a token costs one wake-up, not a chain of
   * stream reads and generators.
   */
  chunks<T>(
    operation: OllamaOperation,
    res: UpstreamResponse,
    map: (chunk: OllamaChunk) => T | undefined,
  ): AsyncIterableIterator<T> {
    const queue = new ChunkQueue<T>(() => void res.cancel().catch(() => undefined));
    this.relay(
      operation,
      res,
      (_raw, chunkOf) => {
        const chunk = chunkOf();
        return queue.push(map(chunk), chunk.done === true);
      },
      queue.stopped,
    ).then(
      () => queue.end(),
      (err: unknown) => queue.end(err as Error), // relay() rejects with domain errors only (asStreamError)
    );
    return queue;
  }

  /**
   * Relays a streamed (NDJSON) answer line by line as it arrives, with what {@link chunks} does
   * (first-token and call metrics, token counts from the final chunk, LLM.GENERATION_FAILED for an
   * in-band `{"error"}` line, UPSTREAM.BAD_RESPONSE when the stream breaks off before `done`) but
   * no promise, decoding or JSON.parse per token line: a relay that forwards bytes never pays for
   * them. Lines after the final chunk are ignored.
   */
  async relay(
    operation: OllamaOperation,
    res: UpstreamResponse,
    onLine: OllamaLineHandler,
    /** Whether the consumer gave up (the stream then ends without its final chunk, not as an error). */
    consumerStopped: () => boolean = () => false,
  ): Promise<void> {
    const sent = performance.now();
    let first = true;
    let finished = false;
    let stopped = false;
    const forward = (raw: Buffer, chunk: () => OllamaChunk) => {
      const out = onLine(raw, chunk);
      if (out === false) stopped = true;
      if (out === false || out === undefined) return out;
      return out.then((v) => {
        if (v === false) stopped = true;
        return v;
      });
    };
    try {
      await res.forEachLine((line, raw) => {
        if (finished) return;
        if (!first && line.includes(TOKEN_KEY) && !line.includes(ERROR_KEY)) {
          let parsed: OllamaChunk | undefined;
          return forward(raw, () => (parsed ??= parseLine(line.toString())));
        }
        const chunk = parseLine(line.toString());
        if (typeof chunk.error === 'string') throw new LlmGenerationFailedError(`Ollama failed: ${chunk.error}`);
        if (first) {
          first = false;
          this.metrics.firstToken.observe({ model: chunk.model }, (performance.now() - sent) / 1000);
        }
        if (chunk.done) {
          finished = true;
          this.countTokens(chunk);
          this.endGenAi(res, chunk);
          this.metrics.calls.inc({ operation, outcome: 'ok' });
        }
        return forward(raw, () => chunk);
      });
      if (!finished && !stopped && !consumerStopped())
        throw new UpstreamBadResponseError('Ollama ended the stream before its final chunk');
    } catch (err) {
      this.metrics.calls.inc({ operation, outcome: err instanceof UpstreamCallAbortedError ? 'aborted' : 'error' });
      this.endGenAi(res, undefined, err);
      throw asStreamError(err);
    } finally {
      // A consumer that stopped early: the span ends with what was read.
      this.endGenAi(res, undefined);
    }
  }

  /** Ollama's `/api/tags`, narrowed to the allow-list when one is set. */
  async tags(options: LlmCallOptions = {}): Promise<OllamaTagsResponse> {
    const tags = await this.json<OllamaTagsResponse>('tags', '/api/tags', undefined, options);
    if (!this.policy.restrictsModels()) return tags;
    return { ...tags, models: tags.models.filter((m) => this.policy.allows(m.name)) };
  }

  private genAiSpan(operation: OllamaOperation, body: object | undefined): Span | undefined {
    const name = GEN_AI_OPERATIONS[operation];
    const model = (body as { model?: unknown } | undefined)?.model;
    if (name === undefined || typeof model !== 'string') return undefined;
    const opts = (body as { options?: { num_predict?: unknown; temperature?: unknown } }).options;
    return startGenAiSpan({
      operation: name,
      provider: 'ollama',
      model,
      maxTokens: typeof opts?.num_predict === 'number' ? opts.num_predict : undefined,
      temperature: typeof opts?.temperature === 'number' ? opts.temperature : undefined,
    });
  }

  /** Ends the call's GenAI span with Ollama's token counts (once; later calls do nothing). */
  private endGenAi(res: UpstreamResponse, chunk: OllamaChunk | undefined, err?: unknown): void {
    const span = this.genAiSpans.get(res);
    if (span === undefined) return;
    this.genAiSpans.delete(res);
    if (err !== undefined) return endWithError(span, err);
    endGenAiSpan(span, {
      inputTokens: chunk?.prompt_eval_count,
      outputTokens: chunk?.eval_count,
      responseModel: chunk?.model,
      finishReason: chunk?.done_reason,
    });
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
