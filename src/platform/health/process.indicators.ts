import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ServiceRegistry } from '../registry/service-registry';
import { EventLoopMonitor } from '../sensors/event-loop-monitor.service';
import { healthConfig, type HealthConfig } from './health.config';
import { LifecyclePhaseService } from '../lifecycle/lifecycle-phase.service';

/** Indicators about this process only: they never look at downstream services. */
@Injectable()
export class ProcessIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly loop: EventLoopMonitor,
    private readonly lifecycle: LifecyclePhaseService,
    private readonly registry: ServiceRegistry,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {}

  eventLoop() {
    const check = this.indicators.check('eventLoop');
    const { p99Ms, maxMs } = this.loop.read();
    const data = { p99Ms: round(p99Ms), maxMs: round(maxMs), limitMs: this.config.eventLoopLagMs };
    return p99Ms > this.config.eventLoopLagMs ? check.down(data) : check.up(data);
  }

  heap() {
    const check = this.indicators.check('heap');
    const used = process.memoryUsage().heapUsed;
    const data = { usedBytes: used, limitBytes: this.config.heapLimitBytes };
    return used > this.config.heapLimitBytes ? check.down(data) : check.up(data);
  }

  /** Up once boot has finished; stays up while draining (startup is about boot only). */
  startup() {
    const check = this.indicators.check('startup');
    const phase = this.lifecycle.phase;
    return phase === 'starting' ? check.down({ phase }) : check.up({ phase, readyAt: this.lifecycle.startedAt });
  }

  /** Down while starting and while draining: the orchestrator must not send traffic then. */
  acceptingTraffic() {
    const check = this.indicators.check('lifecycle');
    const phase = this.lifecycle.phase;
    return phase === 'ready' ? check.up({ phase }) : check.down({ phase });
  }

  /**
   * Down while a critical service is not RUNNING/DEGRADED. Reads lifecycle states only (no checks),
   * so readiness stays cheap whatever the probe rate; a maintenance flag does not take the instance
   * out of rotation.
   */
  criticalServices() {
    const check = this.indicators.check('criticalServices');
    // The registry's overall status is DOWN exactly when a critical service is not up.
    return this.registry.status() === 'DOWN' ? check.down() : check.up();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
