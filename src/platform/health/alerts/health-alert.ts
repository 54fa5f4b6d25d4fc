export const ALERT_LEVELS = ['INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type AlertLevel = (typeof ALERT_LEVELS)[number];

export const AUTOMATION_ACTIONS = ['restart', 'isolate', 'notify', 'scale_up'] as const;
export type AutomationAction = (typeof AUTOMATION_ACTIONS)[number];

/** An action an alert's firing led to, and how it went. */
export interface AlertActionRecord {
  action: AutomationAction;
  at: number;
  ok: boolean;
  detail?: string;
}

/** One alert: fired by an automation rule or by a trend prediction; cleared when the condition ends. */
export interface HealthAlert {
  id: string;
  /** `rule:<name>:<service>` or `trend:<service>`: at most one active alert per key. */
  key: string;
  source: 'rule' | 'trend';
  rule?: string;
  service: string;
  level: AlertLevel;
  message: string;
  firedAt: number;
  /** Latest firing (re-firings after a cooldown update it). */
  lastFiredAt: number;
  clearedAt?: number;
  /** Times this alert fired (re-firings after a cooldown count). */
  firings: number;
  escalated: boolean;
  actions: AlertActionRecord[];
}
