import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { hostname } from 'node:os';
import { ServiceRegistry } from '../../registry/service-registry';
import { HealthAlertsService } from '../alerts/health-alerts.service';
import type { AutomationAction, HealthAlert } from '../alerts/health-alert';
import { WebhookNotifier } from '../alerts/webhook-notifier';
import { HealthTreeService } from '../checks/health-tree.service';
import { ServiceHealthChecker } from '../checks/service-health-checker.service';
import { AutomationRuleDto } from '../dto/automation-rule.dto';
import { healthConfig, type HealthConfig } from '../health.config';
import { LifecyclePhaseService } from '../../lifecycle/lifecycle-phase.service';
import { ScalingSignals } from '../../scaling/scaling-signals.service';
import { HealthHistory } from '../monitor/health-history';
import { HealthMonitorService } from '../monitor/health-monitor.service';
import type { AutomationRule } from './automation-rule';
import { type ActionExecutor, RuleEngine, type ServiceObservation } from './rule-engine';

/**
 * Automation rules (from HEALTH_AUTOMATION_RULES, changeable at runtime) evaluated every
 * HEALTH_AUTOMATION_INTERVAL_MS against the services' health, check figures and trends. Actions act:
 * `restart` restarts the service through the registry, `isolate` takes it OUT_OF_SERVICE, `notify`
 * POSTs the alert to HEALTH_ALERT_WEBHOOK_URL, `scale_up` raises `fennec_desired_replicas` by one
 * for SCALING_RAISE_HOLD_MS (an autoscaler reading it adds the replica).
 */
@Injectable()
export class AutomationService
  implements ActionExecutor, OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy
{
  private readonly logger = new Logger('health-automation');
  readonly engine: RuleEngine;
  private readonly webhook: WebhookNotifier;
  private timer?: NodeJS.Timeout;
  /** A round is reading the services' health (actions are not part of it). */
  private observing = false;

  constructor(
    private readonly registry: ServiceRegistry,
    private readonly tree: HealthTreeService,
    private readonly checker: ServiceHealthChecker,
    private readonly history: HealthHistory,
    private readonly monitor: HealthMonitorService,
    private readonly lifecycle: LifecyclePhaseService,
    private readonly scaling: ScalingSignals,
    alerts: HealthAlertsService,
    @Inject(healthConfig.KEY) private readonly config: HealthConfig,
  ) {
    this.engine = new RuleEngine(alerts.log, this);
    this.webhook = new WebhookNotifier(config.webhook);
    for (const rule of parseRules(config.automation.rulesJson)) this.engine.upsert(rule);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.evaluateNow(), this.config.automation.intervalMs);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * One evaluation round (skipped unless the app is ready, and while another round is still
   * observing). Resolves once the actions this round started have finished; the timer does not
   * wait for that, and the next round never does: each rule's action runs on its own (see
   * {@link RuleEngine}).
   */
  async evaluateNow(): Promise<void> {
    if (this.observing || this.lifecycle.phase !== 'ready' || this.engine.list().length === 0) return;
    this.observing = true;
    let actions: Promise<void>;
    try {
      actions = this.engine.evaluate(await this.observe());
    } catch (err) {
      this.logger.error({ err }, 'automation round failed');
      return;
    } finally {
      this.observing = false;
    }
    await actions;
  }

  async execute(
    action: AutomationAction,
    service: string,
    alert: HealthAlert,
  ): Promise<{ ok: boolean; detail?: string }> {
    switch (action) {
      case 'restart': {
        // The checker drops cached health on each lifecycle transition by itself.
        const restarted = await this.registry.restart(service);
        return { ok: true, detail: `restarted ${restarted.join(', ')}` };
      }
      case 'isolate':
        this.registry.setOutOfService(service, `isolated by rule ${alert.rule ?? alert.key}`);
        this.checker.invalidate(service);
        return { ok: true, detail: 'OUT_OF_SERVICE' };
      case 'scale_up': {
        const r = await this.scaling.raise(`rule ${alert.rule ?? alert.key} on ${service}`);
        return {
          ok: true,
          detail: `fennec_desired_replicas ${r.desiredReplicas}${r.capped ? ' (already at SCALING_MAX_REPLICAS)' : ''}`,
        };
      }
      case 'notify': {
        const outcome = await this.webhook.send({
          alert: HealthAlertsService.toDto(alert),
          instance: { host: hostname(), pid: process.pid },
        });
        return {
          ok: outcome.ok,
          detail: outcome.ok
            ? `delivered (attempt ${outcome.attempts})`
            : `${outcome.error} after ${outcome.attempts} attempt(s)`,
        };
      }
    }
  }

  private async observe(): Promise<Map<string, ServiceObservation>> {
    const statuses = await this.tree.statuses();
    const out = new Map<string, ServiceObservation>();
    for (const [service, { status }] of statuses) {
      const stats = this.history.stats(service);
      out.set(service, {
        status,
        latencyP95: stats.latencyMs.p95,
        failureRate: stats.failureRate5m,
        predicted: this.monitor.trends.get(service)?.predicted ?? false,
      });
    }
    return out;
  }
}

/** Parses and validates HEALTH_AUTOMATION_RULES; throws naming the variable (boot fails). */
export function parseRules(json: string | undefined): AutomationRule[] {
  if (json === undefined || json.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`HEALTH_AUTOMATION_RULES is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(raw)) throw new Error('HEALTH_AUTOMATION_RULES must be a JSON array of rules');
  const names = new Set<string>();
  return raw.map((item, i) => {
    const rule = plainToInstance(AutomationRuleDto, item);
    const errors = validateSync(rule, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) {
      const what = errors.map(
        (e) => `${e.property}: ${Object.values(e.constraints ?? { nested: 'invalid' }).join(', ')}`,
      );
      throw new Error(`HEALTH_AUTOMATION_RULES[${i}] is invalid: ${what.join('; ')}`);
    }
    if (names.has(rule.name)) throw new Error(`HEALTH_AUTOMATION_RULES: duplicate rule name '${rule.name}'`);
    names.add(rule.name);
    return rule;
  });
}
