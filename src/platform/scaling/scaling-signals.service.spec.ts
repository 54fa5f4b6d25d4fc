import { MetricsService } from '../metrics/metrics.service';
import { InFlightRequests } from '../sensors/in-flight-requests';
import type { ScalingConfig } from './scaling.config';
import { ScalingSignals } from './scaling-signals.service';

describe(ScalingSignals.name, () => {
  const config: ScalingConfig = {
    jobsBacklogPerReplica: 10,
    inFlightPerReplica: 50,
    minReplicas: 2,
    maxReplicas: 6,
    raiseHoldMs: 60_000,
  };
  let metrics: MetricsService;
  let inFlight: InFlightRequests;
  let scaling: ScalingSignals;
  let backlog: number;
  let now: number;

  beforeEach(() => {
    metrics = new MetricsService({ prefix: 'fennec_', defaultProcessMetrics: false });
    inFlight = new InFlightRequests();
    scaling = new ScalingSignals(metrics, inFlight, config);
    now = 1_000_000;
    scaling.now = () => now;
    backlog = 0;
    scaling.addClusterSignal({ name: 'jobs_backlog', perReplica: 10, read: () => Promise.resolve(backlog) });
  });

  const scrape = () => metrics.registry.metrics();

  it('should recommend ceil(backlog / target), bounded by the minimum and maximum', async () => {
    expect((await scaling.recommend()).desiredReplicas).toBe(2);
    backlog = 31;
    expect((await scaling.recommend()).desiredReplicas).toBe(4);
    backlog = 1000;
    expect((await scaling.recommend()).desiredReplicas).toBe(6);
    expect(await scrape()).toMatch(/^fennec_desired_replicas 6$/m);
  });

  it('should raise the recommendation by one for the hold time, then let it fall back', async () => {
    backlog = 25;
    expect(await scaling.raise('rule slow on llm')).toEqual({ desiredReplicas: 4, capped: false });
    expect((await scaling.recommend()).inputs).toContainEqual({
      source: 'automation',
      replicas: 4,
      detail: 'rule slow on llm',
    });
    expect(await scaling.raise('again')).toEqual({ desiredReplicas: 5, capped: false });
    now += 60_001;
    expect((await scaling.recommend()).desiredReplicas).toBe(3);
  });

  it('should say when a raise is capped at the maximum', async () => {
    backlog = 100;
    expect(await scaling.raise('busy')).toEqual({ desiredReplicas: 6, capped: true });
  });

  it('should leave out a signal that cannot be read', async () => {
    scaling.addClusterSignal({ name: 'broken', perReplica: 1, read: () => Promise.reject(new Error('redis away')) });
    backlog = 35;
    expect((await scaling.recommend()).desiredReplicas).toBe(4);
  });

  it('should publish in-flight requests and the configured targets per replica', async () => {
    inFlight.enter();
    inFlight.enter();
    const text = await scrape();
    expect(text).toMatch(/^fennec_http_in_flight_requests 2$/m);
    expect(text).toMatch(/^fennec_scaling_target_per_replica\{signal="http_in_flight"\} 50$/m);
    expect(text).toMatch(/^fennec_scaling_target_per_replica\{signal="jobs_backlog"\} 10$/m);
  });
});
