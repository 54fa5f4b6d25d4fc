import { Inject, Injectable } from '@nestjs/common';
import type { StateStore } from '../../state/state-store';
import type { SecurityEventType } from '../events/security-event';
import { SECURITY_STATE } from '../security-state';
import { decayedPenalty, trustFactor } from './adaptive-limits';
import { throttlingConfig, type ThrottlingConfig } from './throttling.config';

/** How much each kind of event costs a client's trust (an injection attempt costs most). */
export const PENALTY_WEIGHTS: Record<SecurityEventType, number> = {
  'auth.invalid': 0.5,
  'auth.forbidden': 0.25,
  'rate_limit.exceeded': 0.1,
  'input.rejected': 1,
  'input.flagged': 0.25,
};

interface Stored {
  p: number;
  t: number;
}

/**
 * How long an instance reuses a client's record read from the store before reading it again.
 * Every throttled request needs its client's trust, and with Redis each read is a round trip;
 * a penalty recorded on another instance is seen here at most this much later (penalties
 * recorded here are seen at once). The decay is computed at read time, so recovery is exact.
 */
export const TRUST_READ_CACHE_MS = 1_000;
/** Records kept in the read cache; beyond it the cache starts afresh (bounded memory). */
const TRUST_READ_CACHE_MAX = 10_000;

/**
 * Per-client trust, shared through the state store so every instance tightens the same client.
 * Read-modify-write without a lock: two concurrent penalties may count as one, which only makes
 * the limiter a little more lenient. Reads are cached per instance for {@link TRUST_READ_CACHE_MS}.
 */
@Injectable()
export class TrustScoreService {
  private readonly halfLifeMs: number;
  private readonly minFactor: number;
  private readonly recent = new Map<string, { record: Stored; readAt: number }>();

  constructor(
    @Inject(SECURITY_STATE) private readonly state: StateStore,
    @Inject(throttlingConfig.KEY) config: ThrottlingConfig,
  ) {
    this.halfLifeMs = config.adaptive.trustHalfLifeMs;
    this.minFactor = config.adaptive.minFactor;
  }

  async penalise(client: string, type: SecurityEventType): Promise<void> {
    const t = Date.now();
    // Read from the store, not the cache: another instance may have penalised the client since.
    const record = await this.read(client, t);
    const p = decayedPenalty(record.p, record.t, t, this.halfLifeMs) + PENALTY_WEIGHTS[type];
    // Kept until it has decayed below 1% of its value.
    await this.state.set(this.key(client), JSON.stringify({ p, t }), { ttlMs: this.halfLifeMs * 7 });
    this.remember(client, { p, t }, t);
  }

  /**
   * 1 for a client with a clean record, down to the configured floor. A plain number when the
   * client's record was read within {@link TRUST_READ_CACHE_MS}, so the hot path awaits nothing.
   */
  factor(client: string): number | Promise<number> {
    const now = Date.now();
    const cached = this.recent.get(client);
    if (cached && now - cached.readAt < TRUST_READ_CACHE_MS) return this.factorOf(cached.record, now);
    return this.read(client, now).then((record) => this.factorOf(record, now));
  }

  private factorOf(record: Stored, now: number): number {
    return trustFactor(decayedPenalty(record.p, record.t, now, this.halfLifeMs), this.minFactor);
  }

  private async read(client: string, now: number): Promise<Stored> {
    const raw = await this.state.get(this.key(client));
    const record = raw ? (JSON.parse(raw) as Stored) : { p: 0, t: now };
    this.remember(client, record, now);
    return record;
  }

  private remember(client: string, record: Stored, now: number): void {
    if (this.recent.size >= TRUST_READ_CACHE_MAX && !this.recent.has(client)) this.recent.clear();
    this.recent.set(client, { record, readAt: now });
  }

  private key(client: string): string {
    return `security:trust:${client}`;
  }
}
