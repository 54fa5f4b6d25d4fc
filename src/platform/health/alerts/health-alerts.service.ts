import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '../../metrics/metrics.service';
import { AlertLog } from './alert-log';
import type { HealthAlert } from './health-alert';

/** The application's alert log: every firing, clearing and action is logged and counted. */
@Injectable()
export class HealthAlertsService {
  private static readonly logger = new Logger('health-alerts');
  private readonly firingCounts: Record<HealthAlert['source'], number> = { rule: 0, trend: 0 };
  /** Active and recent alerts; rules and trends fire into it. */
  readonly log: AlertLog;

  constructor(metrics: MetricsService) {
    const fired = new Counter({
      name: metrics.name('health_alerts_total'),
      help: 'Health alert firings, by source (rule or trend), level and service',
      labelNames: ['source', 'level', 'service'],
      registers: [metrics.registry],
    });
    const actions = new Counter({
      name: metrics.name('health_actions_total'),
      help: 'Actions taken by automation rules, by action and outcome (ok or failed)',
      labelNames: ['action', 'outcome'],
      registers: [metrics.registry],
    });
    const log = HealthAlertsService.logger;
    this.log = new AlertLog(200, {
      onFire: (a) => {
        this.firingCounts[a.source]++;
        fired.labels(a.source, a.level, a.service).inc();
        const line = `alert ${a.level}: ${a.message}`;
        // `severity`, not `level`: the logger's own `level` is already on the line (LOG_FORMAT=json).
        const fields = { alert: a.id, key: a.key, service: a.service, severity: a.level, firings: a.firings };
        if (a.level === 'CRITICAL' || a.level === 'ERROR') log.error(fields, line);
        else if (a.level === 'WARNING') log.warn(fields, line);
        else log.log(fields, line);
      },
      onClear: (a) => log.log({ alert: a.id, key: a.key, service: a.service }, `alert cleared: ${a.key}`),
      onAction: (a, r) => {
        actions.labels(r.action, r.ok ? 'ok' : 'failed').inc();
        const fields = { alert: a.id, service: a.service, action: r.action, ok: r.ok, detail: r.detail };
        if (r.ok) log.log(fields, `action ${r.action} on ${a.service}: done`);
        else log.error(fields, `action ${r.action} on ${a.service} failed: ${r.detail ?? 'unknown'}`);
      },
    });
  }

  /** Firings (including re-firings) since start, by source: automation rules and trends. */
  get firings(): Readonly<Record<HealthAlert['source'], number>> {
    return { ...this.firingCounts };
  }

  static toDto(a: HealthAlert) {
    return {
      ...a,
      firedAt: new Date(a.firedAt).toISOString(),
      lastFiredAt: new Date(a.lastFiredAt).toISOString(),
      clearedAt: a.clearedAt === undefined ? undefined : new Date(a.clearedAt).toISOString(),
      actions: a.actions.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    };
  }
}
