import type { Logger } from '@nestjs/common';
import { OutlierDetector } from './outlier-detector';
import type { UpstreamInstance } from './upstream-instance';
import type { UpstreamInstanceSet } from './upstream-instance-set';
import type { UpstreamMetricsSink } from './upstream.metrics';
import type { ResolvedPoolOptions } from './upstream.types';

/**
 * What a pool learns about its instances' health: the outcome of every real call (error score,
 * outlier ejection after consecutive failures) and the active-probe results an external health
 * checker reports.
 */
export class InstanceHealth {
  private readonly outlier: OutlierDetector;

  constructor(
    private readonly poolName: string,
    options: ResolvedPoolOptions,
    private readonly instances: UpstreamInstanceSet,
    private readonly metrics: UpstreamMetricsSink,
    private readonly logger: Logger,
  ) {
    this.outlier = new OutlierDetector(options.outlier);
  }

  /** See `UpstreamPool.reportProbe`. */
  reportProbe(instanceId: string, healthy: boolean, detail?: string): boolean {
    const instance = this.instances.find(instanceId);
    if (instance === undefined) return false;
    const before = instance.probe.status;
    const now = Date.now();
    if (instance.probe.report(healthy, now, detail)) {
      this.metrics.probe(this.poolName, instance.id, instance.probe.status);
      if (!healthy) this.logger.warn({ instance: instance.id, reason: detail }, 'instance failed its active probe');
      else if (before === 'unhealthy') this.logger.log({ instance: instance.id }, 'instance passed its active probe');
    }
    if (!healthy) instance.probeFailed();
    else {
      const cut = instance.probePassed(now);
      if (cut.breaker || cut.ejection)
        this.logger.log(
          { instance: instance.id, breakerHalfOpen: cut.breaker, ejectionEnded: cut.ejection },
          'active probe passed: instance gets a trial call now',
        );
    }
    return true;
  }

  recordSuccess(instance: UpstreamInstance): void {
    instance.noteOutcome(false);
    this.outlier.success(instance.outlier);
    // A real answer outranks a failed probe until the next probe, as the LLM gateway's prober
    // already treats one ("a real call succeeded there: it is up"), so `/upstreams` and the
    // checker's own health never disagree, and a probe that fails where real calls work does not
    // keep a serving instance out. (Envoy keeps a failed active check authoritative until the next
    // check; here the next probe decides again just the same.)
    instance.probe.realSuccess();
  }

  recordFailure(instance: UpstreamInstance, reason: string): void {
    this.metrics.error(this.poolName, instance.id, reason);
    instance.noteOutcome(true);
    const now = Date.now();
    const all = this.instances.all;
    const ejectedNow = all.filter((i) => i.outlier.isEjected(now)).length;
    const ejectedFor = this.outlier.failure(instance.outlier, now, ejectedNow, all.length);
    if (ejectedFor !== undefined) {
      this.metrics.ejection(this.poolName, instance.id);
      this.logger.warn(
        { instance: instance.id, ejectedForMs: ejectedFor },
        'instance ejected after consecutive failures',
      );
    }
  }
}
