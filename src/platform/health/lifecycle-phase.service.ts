import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { healthConfig, type HealthConfig } from './health.config';

export type LifecyclePhase = 'starting' | 'ready' | 'draining';

/**
 * Where the process is in its life, for the startup and readiness probes. On shutdown it turns
 * readiness off and waits the drain delay, so load balancers stop routing here before Nest closes
 * the listener.
 */
@Injectable()
export class LifecyclePhaseService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('lifecycle');
  private current: LifecyclePhase = 'starting';
  private readyAt?: Date;

  constructor(@Inject(healthConfig.KEY) private readonly config: HealthConfig) {}

  get phase(): LifecyclePhase {
    return this.current;
  }

  get startedAt(): Date | undefined {
    return this.readyAt;
  }

  /** Called once boot has finished (services started, app initialised). */
  markReady(): void {
    if (this.current === 'starting') {
      this.current = 'ready';
      this.readyAt = new Date();
    }
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.current = 'draining';
    this.logger.log({ signal, drainDelayMs: this.config.drainDelayMs }, 'draining: readiness is now 503');
    if (this.config.drainDelayMs > 0) await sleep(this.config.drainDelayMs);
  }
}
