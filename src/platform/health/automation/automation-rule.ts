import type { AlertLevel, AutomationAction } from '../alerts/health-alert';

export const RULE_METRICS = ['status', 'latencyP95', 'failureRate', 'predicted'] as const;
export type RuleMetric = (typeof RULE_METRICS)[number];
export const RULE_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
export type RuleOp = (typeof RULE_OPS)[number];

/**
 * An automation rule: when `when` has held for `forMs` on `service` ('*': each service), fire an
 * alert at `level` and take `action`; not again before `cooldownMs`. From the
 * (`afterFirings` + 1)-th firing of one episode on, `escalate` replaces level and action.
 */
export interface AutomationRule {
  name: string;
  service: string;
  when: { metric: RuleMetric; op: RuleOp; value: string | number | boolean };
  forMs: number;
  level: AlertLevel;
  action: AutomationAction;
  cooldownMs: number;
  escalate?: { afterFirings: number; level: AlertLevel; action: AutomationAction };
}
