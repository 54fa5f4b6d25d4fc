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
 * Per-client trust, shared through the state store so every instance tightens the same client.
 * Read-modify-write without a lock: two concurrent penalties may count as one, which only makes
 * the limiter a little more lenient.
 */
@Injectable()
export class TrustScoreService {
  private readonly halfLifeMs: number;
  private readonly minFactor: number;

  constructor(
    @Inject(SECURITY_STATE) private readonly state: StateStore,
    @Inject(throttlingConfig.KEY) config: ThrottlingConfig,
  ) {
    this.halfLifeMs = config.adaptive.trustHalfLifeMs;
    this.minFactor = config.adaptive.minFactor;
  }

  async penalise(client: string, type: SecurityEventType): Promise<void> {
    const t = Date.now();
    const penalty = (await this.penalty(client, t)) + PENALTY_WEIGHTS[type];
    // Kept until it has decayed below 1% of its value.
    await this.state.set(this.key(client), JSON.stringify({ p: penalty, t }), { ttlMs: this.halfLifeMs * 7 });
  }

  /** 1 for a client with a clean record, down to the configured floor. */
  async factor(client: string): Promise<number> {
    return trustFactor(await this.penalty(client, Date.now()), this.minFactor);
  }

  private async penalty(client: string, now: number): Promise<number> {
    const raw = await this.state.get(this.key(client));
    if (!raw) return 0;
    const s = JSON.parse(raw) as Stored;
    return decayedPenalty(s.p, s.t, now, this.halfLifeMs);
  }

  private key(client: string): string {
    return `security:trust:${client}`;
  }
}
