import { Inject, Injectable, Optional } from '@nestjs/common';
import { isStateUnavailable, StateOutages, type StateStore } from '../../state';
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
 *
 * Fails open: with the store unavailable a client keeps the trust last read here (a clean record
 * if none), and a penalty counts here only until the store is back. A store that restarted empty
 * has forgotten every penalty.
 */
@Injectable()
export class TrustScoreService {
  private readonly halfLifeMs: number;
  private readonly minFactor: number;
  private readonly recent = new Map<string, { record: Stored; readAt: number }>();

  constructor(
    @Inject(SECURITY_STATE) private readonly state: StateStore,
    @Inject(throttlingConfig.KEY) config: ThrottlingConfig,
    @Optional() private readonly outages: StateOutages = new StateOutages(),
  ) {
    this.halfLifeMs = config.adaptive.trustHalfLifeMs;
    this.minFactor = config.adaptive.minFactor;
  }

  async penalise(client: string, type: SecurityEventType): Promise<void> {
    const t = Date.now();
    // Read from the store, not the cache: another instance may have penalised the client since.
    const record = await this.read(client, t);
    const p = decayedPenalty(record.p, record.t, t, this.halfLifeMs) + PENALTY_WEIGHTS[type];
    // Remembered first: with the store unavailable the penalty still counts here.
    this.remember(client, { p, t }, t);
    // Kept until it has decayed below 1% of its value.
    await this.state.set(this.key(client), JSON.stringify({ p, t }), { ttlMs: this.halfLifeMs * 7 });
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
    let raw: string | undefined;
    try {
      raw = await this.state.get(this.key(client));
    } catch (err) {
      if (!isStateUnavailable(err)) throw err;
      // Fail open: what this instance knows (penalties recorded here included), else a clean record.
      this.outages.record('trust_score', 'open', err);
      return this.recent.get(client)?.record ?? { p: 0, t: now };
    }
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
