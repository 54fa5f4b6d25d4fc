import { RingBuffer } from '../monitor/ring-buffer';
import type { AlertActionRecord, AlertLevel, HealthAlert } from './health-alert';

export interface AlertLogHooks {
  onFire?(alert: HealthAlert): void;
  onClear?(alert: HealthAlert): void;
  onAction?(alert: HealthAlert, action: AlertActionRecord): void;
}

/**
 * Active alerts (one per key) and a bounded list of recent ones (cleared or not). A firing on a
 * key that is already active updates that alert (level, message, count) instead of adding one.
 */
export class AlertLog {
  private readonly activeByKey = new Map<string, HealthAlert>();
  private readonly recentAlerts: RingBuffer<HealthAlert>;
  private seq = 0;

  constructor(
    capacity = 200,
    private readonly hooks: AlertLogHooks = {},
    private readonly now: () => number = Date.now,
  ) {
    this.recentAlerts = new RingBuffer(capacity);
  }

  fire(input: {
    key: string;
    source: HealthAlert['source'];
    rule?: string;
    service: string;
    level: AlertLevel;
    message: string;
    escalated?: boolean;
  }): HealthAlert {
    let alert = this.activeByKey.get(input.key);
    if (alert) {
      alert.level = input.level;
      alert.message = input.message;
      alert.firings++;
      alert.lastFiredAt = this.now();
      alert.escalated ||= input.escalated === true;
    } else {
      alert = {
        id: `a${++this.seq}`,
        ...input,
        escalated: input.escalated === true,
        firedAt: this.now(),
        lastFiredAt: this.now(),
        firings: 1,
        actions: [],
      };
      this.activeByKey.set(input.key, alert);
      this.recentAlerts.push(alert);
    }
    this.hooks.onFire?.(alert);
    return alert;
  }

  clear(key: string): HealthAlert | undefined {
    const alert = this.activeByKey.get(key);
    if (!alert) return undefined;
    alert.clearedAt = this.now();
    this.activeByKey.delete(key);
    this.hooks.onClear?.(alert);
    return alert;
  }

  recordAction(alert: HealthAlert, record: AlertActionRecord): void {
    alert.actions.push(record);
    this.hooks.onAction?.(alert, record);
  }

  isActive(key: string): boolean {
    return this.activeByKey.has(key);
  }

  active(): HealthAlert[] {
    return [...this.activeByKey.values()];
  }

  /** Newest first. */
  recent(): HealthAlert[] {
    return this.recentAlerts.toArray().reverse();
  }
}
