import { Inject, Injectable } from '@nestjs/common';
import { EventLoopMonitor } from '../../sensors/event-loop-monitor.service';
import { effectiveLimit, PressureFactor } from './adaptive-limits';
import { InFlightRequests } from '../../sensors/in-flight-requests';
import { throttlingConfig, type ThrottlingConfig } from './throttling.config';
import { TrustScoreService } from './trust-score.service';

/** Applies the adaptive algorithm (see adaptive-limits.ts) to a configured limit for one client. */
@Injectable()
export class AdaptiveLimiter {
  private readonly pressure: PressureFactor;

  constructor(
    @Inject(throttlingConfig.KEY) private readonly config: ThrottlingConfig,
    private readonly loop: EventLoopMonitor,
    private readonly inFlight: InFlightRequests,
    private readonly trust: TrustScoreService,
  ) {
    this.pressure = new PressureFactor(config.adaptive);
  }

  /** The process-wide pressure factor right now (1 = no pressure). */
  pressureFactor(): number {
    return this.pressure.update({ lagP99Ms: this.loop.read().p99Ms, inFlight: this.inFlight.current });
  }

  async limitFor(client: string, configured: number): Promise<number> {
    return this.effective(configured, await this.trustFactor(client));
  }

  /** The client's trust factor (1 with adaptive limits off, without touching the store). */
  trustFactor(client: string): number | Promise<number> {
    return this.config.adaptive.enabled ? this.trust.factor(client) : 1;
  }

  /** `configured` scaled by the current pressure and a trust factor from {@link trustFactor}. */
  effective(configured: number, trustFactor: number): number {
    if (!this.config.adaptive.enabled) return configured;
    return effectiveLimit(configured, this.pressureFactor(), trustFactor);
  }
}
