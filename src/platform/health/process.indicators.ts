import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ServiceRegistry } from '../registry/service-registry';
import { EventLoopMonitor, EventLoopWatchdog } from '../sensors';
import { healthConfig, type HealthConfig } from './health.config';
import { LifecyclePhaseService } from '../lifecycle/lifecycle-phase.service';

/** Indicators about this process only: they never look at downstream services. */
@Injectable()
export class ProcessIndicators {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly loop: EventLoopMonitor,
    private readonly watchdog: EventLoopWatchdog,
    private readonly lifecycle: LifecyclePhaseService,
    private readonly registry: ServiceRegistry,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {}

  /**
   * Liveness: down only while the event loop is wedged (no turn for HEALTH_LIVENESS_STALL_MS, or
   * that recently). Lag from CPU contention never fails it: a restart would not help a busy pod.
   */
  eventLoop() {
    const check = this.indicators.check('eventLoop');
    const { currentStallMs, recentStallMs, limitMs, wedged } = this.watchdog.read();
    const data = { currentStallMs: round(currentStallMs), recentStallMs: round(recentStallMs), stallLimitMs: limitMs };
    return wedged ? check.down(data) : check.up(data);
  }

  /** Readiness: down while the event loop's p99 delay is over HEALTH_EVENT_LOOP_LAG_MS (saturated). */
  eventLoopLag() {
    const check = this.indicators.check('eventLoopLag');
    const { p99Ms, maxMs } = this.loop.read();
    const data = { p99Ms: round(p99Ms), maxMs: round(maxMs), limitMs: this.config.eventLoopLagMs };
    return p99Ms > this.config.eventLoopLagMs ? check.down(data) : check.up(data);
  }

  /** Readiness: down while the V8 heap in use is over HEALTH_HEAP_LIMIT_MB. */
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
