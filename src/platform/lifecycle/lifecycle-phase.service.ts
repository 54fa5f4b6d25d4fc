import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { lifecycleConfig, type LifecycleConfig } from './lifecycle.config';

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
  private drained?: Promise<void>;

  constructor(@Inject(lifecycleConfig.KEY) private readonly config: LifecycleConfig) {}

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

  /**
   * Enters the draining phase (readiness 503, responses say `Connection: close`). Called by the
   * signal handler before anything else of the shutdown runs, so no other shutdown hook (Terminus
   * flips its own probes then) can be seen before the phase changes; idempotent.
   */
  beginDrain(signal?: string): void {
    if (this.drained) return;
    this.current = 'draining';
    this.logger.log({ signal, drainDelayMs: this.config.drainDelayMs }, 'draining: readiness is now 503');
    this.drained = this.config.drainDelayMs > 0 ? sleep(this.config.drainDelayMs) : Promise.resolve();
  }

  /**
   * Resolves once the drain delay since {@link beginDrain} has passed (starting the drain if it
   * has not begun): what a shutdown hook awaits before it closes anything clients still use.
   */
  whenDrained(): Promise<void> {
    this.beginDrain();
    return this.drained!;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.beginDrain(signal);
    await this.drained;
  }
}
