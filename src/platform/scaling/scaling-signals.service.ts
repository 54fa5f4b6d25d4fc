import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { InFlightRequests } from '../sensors/in-flight-requests';
import { scalingConfig, type ScalingConfig } from './scaling.config';

/** A load figure that is the same on every instance (read from shared storage), with its target per replica. */
export interface ClusterSignal {
  /** Label value in `fennec_scaling_target_per_replica{signal}` and in the recommendation's reasons. */
  name: string;
  /** Target per replica; 0 leaves the signal out. */
  perReplica: number;
  read(): Promise<number>;
}

/** What the instance recommends now, and why. */
export interface ScalingRecommendation {
  desiredReplicas: number;
  /** One entry per input: cluster signals, and an automation raise while it holds. */
  inputs: { source: string; replicas: number; detail: string }[];
}

/**
 * Scaling signals for an autoscaler (see docs/operations.md "Autoscaling"):
 * - `fennec_http_in_flight_requests`: requests this instance is serving now;
 * - `fennec_scaling_target_per_replica{signal}`: the configured targets, so the autoscaler's query
 *   can divide the cluster's sum by them;
 * - `fennec_desired_replicas`: a recommendation from cluster-wide signals (the jobs backlog:
 *   `ceil(backlog / target)`) and from automation rules (`scale_up` raises it by one above what it
 *   was, for SCALING_RAISE_HOLD_MS), bounded by SCALING_MIN/MAX_REPLICAS.
 *
 * Per-instance load (in flight, bulkheads, connections) is left to the autoscaler's query
 * (`sum(...) / target`): one instance cannot see the others' load, so it cannot turn its own into
 * a replica count.
 */
@Injectable()
export class ScalingSignals {
  private readonly logger = new Logger('scaling');
  private readonly cluster: ClusterSignal[] = [];
  private raised?: { replicas: number; until: number; reason: string };
  /** The clock (tests replace it). */
  now: () => number = Date.now;

  constructor(
    metrics: MetricsService,
    inFlight: InFlightRequests,
    @Inject(scalingConfig.KEY) readonly config: ScalingConfig,
  ) {
    const registers = [metrics.registry];
    new Gauge({
      name: metrics.name('http_in_flight_requests'),
      help: 'HTTP requests this instance has accepted and not yet answered (streams included)',
      registers,
      collect() {
        this.set(inFlight.current);
      },
    });
    const targets = () => this.targets();
    new Gauge({
      name: metrics.name('scaling_target_per_replica'),
      help: 'Configured autoscaling target per replica, by signal (http_in_flight, jobs_backlog)',
      labelNames: ['signal'],
      registers,
      collect() {
        this.reset();
        for (const [signal, value] of targets()) this.set({ signal }, value);
      },
    });
    const recommend = () => this.recommend();
    new Gauge({
      name: metrics.name('desired_replicas'),
      help: 'Replicas this deployment should run, from cluster-wide targets and automation raises',
      registers,
      async collect() {
        this.set((await recommend()).desiredReplicas);
      },
    });
  }

  /** Adds a cluster-wide signal (the jobs module adds the backlog). */
  addClusterSignal(signal: ClusterSignal): void {
    this.cluster.push(signal);
  }

  /** Computes the recommendation now (a failing signal is skipped, not fatal). */
  async recommend(): Promise<ScalingRecommendation> {
    const { minReplicas, maxReplicas } = this.config;
    const inputs: ScalingRecommendation['inputs'] = [];
    for (const s of this.cluster) {
      if (s.perReplica <= 0) continue;
      try {
        const value = await s.read();
        inputs.push({
          source: s.name,
          replicas: Math.ceil(value / s.perReplica),
          detail: `${value} for a target of ${s.perReplica} per replica`,
        });
      } catch (err) {
        this.logger.warn({ err, signal: s.name }, 'scaling signal unreadable; left out');
      }
    }
    if (this.raised && this.raised.until > this.now()) {
      inputs.push({ source: 'automation', replicas: this.raised.replicas, detail: this.raised.reason });
    } else this.raised = undefined;
    const wanted = Math.max(minReplicas, ...inputs.map((i) => i.replicas));
    return { desiredReplicas: Math.min(maxReplicas, wanted), inputs };
  }

  /**
   * Raises the recommendation to one more than it is now, for SCALING_RAISE_HOLD_MS (the health
   * automation's `scale_up` action). A raise while one holds goes one higher and restarts the hold.
   */
  async raise(reason: string): Promise<{ desiredReplicas: number; capped: boolean }> {
    const current = (await this.recommend()).desiredReplicas;
    const replicas = Math.min(this.config.maxReplicas, current + 1);
    this.raised = { replicas, until: this.now() + this.config.raiseHoldMs, reason };
    return { desiredReplicas: replicas, capped: replicas === current };
  }

  private targets(): [string, number][] {
    const out: [string, number][] = [];
    if (this.config.inFlightPerReplica > 0) out.push(['http_in_flight', this.config.inFlightPerReplica]);
    for (const s of this.cluster) if (s.perReplica > 0) out.push([s.name, s.perReplica]);
    return out;
  }
}
