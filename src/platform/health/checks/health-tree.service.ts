import { Inject, Injectable } from '@nestjs/common';
import type { HealthStatus } from '../../registry/managed-service.types';
import { ServiceRegistry } from '../../registry/service-registry';
import { EventLoopMonitor, EventLoopWatchdog } from '../../sensors';
import { healthConfig, type HealthConfig } from '../health.config';
import { LifecyclePhaseService } from '../../lifecycle/lifecycle-phase.service';
import { applyDependencyRules, overallStatus, type OwnHealth } from './dependency-rules';
import type { HealthTree, IndicatorHealth, ServiceHealthEntry } from './health-tree';
import { type CheckedReport, ServiceHealthChecker } from './service-health-checker.service';

/**
 * Built-in indicators that reuse a managed service's check (and its cache) rather than checking
 * the same thing twice: disk space is the data-dir service's, Redis the state service's (it PINGs
 * the app's shared connection), upstream instances the upstreams service's.
 */
const SERVICE_INDICATORS: Record<string, string> = { disk: 'data-dir', redis: 'state', upstreams: 'upstreams' };

/** Builds the /health tree: indicators plus every managed service, dependency rules applied. */
@Injectable()
export class HealthTreeService {
  constructor(
    private readonly registry: ServiceRegistry,
    private readonly checker: ServiceHealthChecker,
    private readonly loop: EventLoopMonitor,
    private readonly watchdog: EventLoopWatchdog,
    private readonly lifecycle: LifecyclePhaseService,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {}

  /** The full tree, with `details` and reasons only when `withDetails`. */
  async tree(withDetails: boolean): Promise<HealthTree> {
    const snapshots = this.registry.list();
    const reports = new Map<string, CheckedReport>();
    await Promise.all(snapshots.map(async (s) => reports.set(s.name, await this.checker.check(s.name))));
    const own: OwnHealth[] = snapshots.map((s) => ({
      name: s.name,
      critical: s.critical,
      status: reports.get(s.name)!.status,
      reason: reports.get(s.name)!.reason,
      dependsOn: s.dependsOn.filter((d) => d.registered),
    }));
    const effective = applyDependencyRules(own);
    const services: Record<string, ServiceHealthEntry> = {};
    for (const s of snapshots) {
      const report = reports.get(s.name)!;
      const eff = effective.get(s.name)!;
      services[s.name] = {
        status: eff.status,
        critical: s.critical,
        state: s.state,
        ownStatus: report.status,
        ...(withDetails
          ? {
              reason: eff.reason,
              checkedAt: new Date(report.checkedAt).toISOString(),
              latencyMs: round(report.latencyMs),
              details: report.details,
            }
          : {}),
      };
    }
    const indicators = this.indicators(reports, withDetails);
    // An indicator backed by a service weighs as that service does: a non-critical one (upstream
    // pools, which belong to optional services such as llm) makes the whole DEGRADED, not DOWN.
    const critical = new Map(snapshots.map((s) => [s.name, s.critical]));
    const status = overallStatus(
      [
        ...snapshots.map((s) => ({ critical: s.critical, status: services[s.name].status })),
        ...Object.entries(indicators).map(([name, i]) => ({
          critical: critical.get(SERVICE_INDICATORS[name]) ?? true,
          status: i.status,
        })),
      ],
      [],
    );
    return { status, phase: this.lifecycle.phase, checkedAt: new Date().toISOString(), indicators, services };
  }

  /** Effective statuses of every service (dependency rules applied), from the cache where fresh. */
  async statuses(): Promise<Map<string, { status: HealthStatus; reason?: string }>> {
    const tree = await this.tree(true);
    return new Map(Object.entries(tree.services).map(([n, e]) => [n, { status: e.status, reason: e.reason }]));
  }

  private indicators(reports: Map<string, CheckedReport>, withDetails: boolean): Record<string, IndicatorHealth> {
    const out: Record<string, IndicatorHealth> = {
      eventLoop: this.eventLoop(withDetails),
      memory: this.memory(withDetails),
    };
    for (const [indicator, service] of Object.entries(SERVICE_INDICATORS)) {
      const report = reports.get(service);
      if (!report) continue;
      if (indicator === 'redis' && report.details?.backend !== 'redis') continue;
      out[indicator] = {
        status: report.status,
        ...(withDetails ? { reason: report.reason, details: { service, ...report.details } } : {}),
      };
    }
    return out;
  }

  /** DOWN only for a wedged loop (as liveness); lag over the limit is saturation: DEGRADED. */
  private eventLoop(withDetails: boolean): IndicatorHealth {
    const { p99Ms, maxMs } = this.loop.read();
    const stall = this.watchdog.read();
    const limitMs = this.config.eventLoopLagMs;
    const status = stall.wedged ? 'DOWN' : p99Ms > limitMs ? 'DEGRADED' : 'UP';
    const stallMs = Math.max(stall.currentStallMs, stall.recentStallMs);
    const reason =
      status === 'DOWN'
        ? `event loop did not turn for ${Math.round(stallMs)} ms (limit ${stall.limitMs} ms)`
        : status === 'DEGRADED'
          ? `event-loop p99 ${round(p99Ms)} ms over ${limitMs} ms`
          : undefined;
    return {
      status,
      ...(withDetails
        ? {
            reason,
            details: {
              p99Ms: round(p99Ms),
              maxMs: round(maxMs),
              limitMs,
              stallMs: round(stallMs),
              stallLimitMs: stall.limitMs,
            },
          }
        : {}),
    };
  }

  /** Heap over the limit is pressure, not breakage: DEGRADED (readiness fails on it). */
  private memory(withDetails: boolean): IndicatorHealth {
    const { heapUsed, rss } = process.memoryUsage();
    const over = heapUsed > this.config.heapLimitBytes;
    return {
      status: over ? 'DEGRADED' : 'UP',
      ...(withDetails
        ? {
            reason: over ? 'heap in use over HEALTH_HEAP_LIMIT_MB' : undefined,
            details: { heapUsedBytes: heapUsed, rssBytes: rss, heapLimitBytes: this.config.heapLimitBytes },
          }
        : {}),
    };
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
