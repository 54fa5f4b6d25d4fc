import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { RateLimitExceededError, clientKey } from '../../platform/security';
import { isStateUnavailable, STATE_STORE, StateOutages, type StateStore } from '../../platform/state';
import { llmConfig, type LlmConfig } from './llm.config';

const WINDOW_MS = 60_000;

/**
 * Streamed answers a caller may start per minute, across all LLM routes. The throttler limits a
 * route whatever its body says; whether a chat streams is in the body, so this one check lives
 * here. It counts per the throttler's own tracker (API key, JWT subject or client IP) in the
 * shared state store, so N instances enforce one limit; a state outage lets streams through
 * (logged), as the throttler does by default.
 */
@Injectable()
export class LlmStreamLimiter {
  constructor(
    @Inject(llmConfig.KEY) private readonly config: LlmConfig,
    @Inject(STATE_STORE) private readonly state: StateStore,
    private readonly outages: StateOutages,
  ) {}

  /** @throws RateLimitExceededError (429, Retry-After) past LLM_STREAMS_PER_MINUTE */
  async admit(req: Request): Promise<void> {
    let result: { count: number; ttlMs: number };
    try {
      result = await this.state.increment(`llm:streams:${clientKey(req)}`, WINDOW_MS);
    } catch (err) {
      if (isStateUnavailable(err)) {
        this.outages.record('llm_stream_limit', 'open', err);
        return;
      }
      throw err;
    }
    if (result.count > this.config.streamsPerMinute) {
      throw new RateLimitExceededError(
        `Stream limit exceeded: at most ${this.config.streamsPerMinute} streamed answers per minute`,
        { retryAfterSeconds: Math.max(1, Math.ceil(result.ttlMs / 1000)) },
      );
    }
  }
}
