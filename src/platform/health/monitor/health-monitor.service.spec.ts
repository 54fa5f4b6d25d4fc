import { Subject } from 'rxjs';
import type { ServiceRegistry } from '../../registry/service-registry';
import { AlertLog } from '../alerts/alert-log';
import type { HealthAlertsService } from '../alerts/health-alerts.service';
import type { ServiceHealthChecker } from '../checks/service-health-checker.service';
import type { HealthConfig } from '../health.config';
import type { CheckSample } from './check-sample';
import { HealthHistory } from './health-history';
import { HealthMonitorService } from './health-monitor.service';

describe(HealthMonitorService.name, () => {
  const INTERVAL = 10_000;
  let checks: { service: string; at: number }[];
  let samples: Subject<{ service: string; sample: CheckSample }>;
  let monitor: HealthMonitorService;
  let history: HealthHistory;
  let alerts: AlertLog;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    checks = [];
    samples = new Subject();
    history = new HealthHistory(100);
    alerts = new AlertLog();
    const ttl: Record<string, number> = { fast: 1000, slow: 30_000 };
    const registry = {
      list: () => [{ name: 'fast' }, { name: 'slow' }],
      graph: () => ({ node: (n: string) => ({ definition: { healthTtlMs: ttl[n] } }) }),
    } as unknown as ServiceRegistry;
    const checker = {
      samples$: samples.asObservable(),
      check: (service: string) => {
        checks.push({ service, at: Date.now() });
        return Promise.resolve({ status: 'UP' });
      },
    } as unknown as ServiceHealthChecker;
    const config = {
      monitorIntervalMs: INTERVAL,
      trend: { window: 4, horizonMs: 60_000, latencyThresholdMs: 100, failureRateThreshold: 0.5 },
    } as HealthConfig;
    monitor = new HealthMonitorService(registry, checker, history, { log: alerts } as HealthAlertsService, config);
    monitor.onApplicationBootstrap();
  });

  afterEach(() => {
    monitor.onModuleDestroy();
    jest.useRealTimers();
  });

  it('should re-check each service on a jittered interval, never more often than its TTL', async () => {
    for (let t = 0; t < 300_000; t += 100) await jest.advanceTimersByTimeAsync(100);
    const gaps = (name: string) => {
      const at = checks.filter((c) => c.service === name).map((c) => c.at);
      return at.slice(1).map((t, i) => t - at[i]);
    };
    // fast: the monitor interval (10 s) ± 20 %; slow: its 30 s TTL ± 20 %.
    expect(Math.min(...gaps('fast'))).toBeGreaterThanOrEqual(8000);
    expect(Math.max(...gaps('fast'))).toBeLessThanOrEqual(12_100);
    expect(Math.min(...gaps('slow'))).toBeGreaterThanOrEqual(24_000);
    expect(Math.max(...gaps('slow'))).toBeLessThanOrEqual(36_100);
    expect(new Set(gaps('fast')).size).toBeGreaterThan(1); // jittered, not lockstep
  });

  it('should stop checking on shutdown', async () => {
    await jest.advanceTimersByTimeAsync(20_000);
    monitor.beforeApplicationShutdown();
    const n = checks.length;
    await jest.advanceTimersByTimeAsync(100_000);
    expect(checks.length).toBe(n);
  });

  it('should fire a trend alert from executed checks and clear it when the trend recovers', () => {
    const feed = (at: number, latencyMs: number) => {
      const sample = { at, latencyMs, status: 'UP' as const, failed: false };
      history.record('fast', sample);
      samples.next({ service: 'fast', sample });
    };
    [10, 30, 60, 90].forEach((ms, i) => feed(i * 10_000, ms));
    expect(alerts.active()).toEqual([
      expect.objectContaining({ key: 'trend:fast', source: 'trend', level: 'WARNING' }),
    ]);
    [10, 10, 10, 10].forEach((ms, i) => feed(40_000 + i * 10_000, ms));
    expect(alerts.active()).toEqual([]);
    expect(alerts.recent()[0].clearedAt).toBeDefined();
  });
});
