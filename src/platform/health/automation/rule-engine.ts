import type { HealthStatus } from '../../registry/managed-service.types';
import type { AlertLog } from '../alerts/alert-log';
import type { AutomationAction, HealthAlert } from '../alerts/health-alert';
import type { AutomationRule, RuleOp } from './automation-rule';

/** What the rules look at, per service. */
export interface ServiceObservation {
  status: HealthStatus;
  latencyP95: number | null;
  /** 0..1 over the last 5 minutes. */
  failureRate: number | null;
  predicted: boolean;
}

/** Carries out a rule's action; resolves with how it went (never rejects). */
export interface ActionExecutor {
  execute(action: AutomationAction, service: string, alert: HealthAlert): Promise<{ ok: boolean; detail?: string }>;
}

interface RuleState {
  /** Since when the condition has held (undefined while it does not). */
  since?: number;
  /** Since when it has not held. */
  falseSince?: number;
  lastFiredAt?: number;
  /** Firings in the current episode; the episode ends once the condition stayed false for a cooldown. */
  firings: number;
}

/**
 * Evaluates automation rules against observations: honours `forMs` (the condition must hold that
 * long), `cooldownMs` (no re-firing sooner) and escalation; fires and clears alerts in the log and
 * runs the actions. Time comes from `now` so tests drive it with fake timers.
 *
 * Each rule acts on its own: an evaluation never waits for actions, and a rule (per service) whose
 * action is still running does not fire again until it has finished, so one slow webhook holds
 * back only its own rule, never a restart due from another.
 */
export class RuleEngine {
  private readonly rules = new Map<string, AutomationRule>();
  private readonly states = new Map<string, RuleState>();
  /** Actions still running, by rule-and-service key. */
  private readonly inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly alerts: AlertLog,
    private readonly executor: ActionExecutor,
    private readonly now: () => number = Date.now,
  ) {}

  list(): AutomationRule[] {
    return [...this.rules.values()];
  }

  get(name: string): AutomationRule | undefined {
    return this.rules.get(name);
  }

  /** Adds or replaces a rule; a replaced rule starts over (its alerts are cleared). */
  upsert(rule: AutomationRule): void {
    if (this.rules.has(rule.name)) this.forget(rule.name);
    this.rules.set(rule.name, rule);
  }

  remove(name: string): boolean {
    if (!this.rules.has(name)) return false;
    this.forget(name);
    return this.rules.delete(name);
  }

  /**
   * One evaluation round. Conditions, alerts and firings are settled synchronously; the actions it
   * starts run on their own, and the returned promise resolves once they have finished (callers
   * that evaluate on a timer do not wait for it).
   */
  evaluate(observations: ReadonlyMap<string, ServiceObservation>): Promise<void> {
    const now = this.now();
    const tasks: Promise<void>[] = [];
    for (const rule of this.rules.values()) {
      const services = rule.service === '*' ? [...observations.keys()] : [rule.service];
      for (const service of services) {
        const obs = observations.get(service);
        if (!obs) continue;
        const key = `rule:${rule.name}:${service}`;
        const st = this.states.get(key) ?? { firings: 0 };
        this.states.set(key, st);
        if (!matches(rule.when, obs)) {
          st.since = undefined;
          st.falseSince ??= now;
          this.alerts.clear(key);
          if (now - st.falseSince >= rule.cooldownMs) st.firings = 0;
          continue;
        }
        st.falseSince = undefined;
        st.since ??= now;
        if (now - st.since < rule.forMs) continue;
        // Its previous action is still running: the rule fires again (if still due) once it is done.
        if (this.inflight.has(key)) continue;
        if (st.lastFiredAt !== undefined && now - st.lastFiredAt < rule.cooldownMs) continue;
        st.firings++;
        st.lastFiredAt = now;
        const escalated = rule.escalate !== undefined && st.firings > rule.escalate.afterFirings;
        const level = escalated ? rule.escalate!.level : rule.level;
        const action = escalated ? rule.escalate!.action : rule.action;
        const alert = this.alerts.fire({
          key,
          source: 'rule',
          rule: rule.name,
          service,
          level,
          escalated,
          message: `${service}: ${rule.when.metric} ${rule.when.op} ${String(rule.when.value)} for ${rule.forMs} ms (${describe(rule.when.metric, obs)})${escalated ? ', escalated' : ''}`,
        });
        const task: Promise<void> = this.run(action, service, alert).finally(() => {
          if (this.inflight.get(key) === task) this.inflight.delete(key);
        });
        this.inflight.set(key, task);
        tasks.push(task);
      }
    }
    return Promise.all(tasks).then(() => undefined);
  }

  /** Resolves once every action running now has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.inflight.values()]);
  }

  private async run(action: AutomationAction, service: string, alert: HealthAlert): Promise<void> {
    const at = this.now();
    let outcome: { ok: boolean; detail?: string };
    try {
      outcome = await this.executor.execute(action, service, alert);
    } catch (err) {
      outcome = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    this.alerts.recordAction(alert, { action, at, ...outcome });
  }

  private forget(rule: string): void {
    const prefix = `rule:${rule}:`;
    for (const key of [...this.states.keys()]) {
      if (!key.startsWith(prefix)) continue;
      this.states.delete(key);
      this.alerts.clear(key);
    }
  }
}

function describe(metric: AutomationRule['when']['metric'], obs: ServiceObservation): string {
  return `${metric} is ${String(obs[metric])}`;
}

/** Whether the observation satisfies the condition; null figures never match. */
export function matches(when: AutomationRule['when'], obs: ServiceObservation): boolean {
  const actual = obs[when.metric];
  if (actual === null) return false;
  return compare(actual, when.op, when.value);
}

function compare(a: string | number | boolean, op: RuleOp, b: string | number | boolean): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return typeof a === 'number' && typeof b === 'number' && a > b;
    case 'gte':
      return typeof a === 'number' && typeof b === 'number' && a >= b;
    case 'lt':
      return typeof a === 'number' && typeof b === 'number' && a < b;
    case 'lte':
      return typeof a === 'number' && typeof b === 'number' && a <= b;
  }
}
