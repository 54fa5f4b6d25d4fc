import { setTimeout as sleep } from 'node:timers/promises';

export interface WebhookSettings {
  url?: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff; doubles each retry. */
  backoffMs?: number;
}

export interface WebhookOutcome {
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

/**
 * POSTs JSON to the alert webhook: each attempt under a timeout, retried with exponential backoff
 * on network errors, timeouts, 5xx and 429. Never throws: the outcome says what happened.
 */
export class WebhookNotifier {
  constructor(private readonly settings: WebhookSettings) {}

  get configured(): boolean {
    return this.settings.url !== undefined;
  }

  async send(payload: unknown): Promise<WebhookOutcome> {
    const { url, timeoutMs, retries } = this.settings;
    if (!url) return { ok: false, attempts: 0, error: 'no webhook URL configured (HEALTH_ALERT_WEBHOOK_URL)' };
    const body = JSON.stringify(payload);
    let last: WebhookOutcome = { ok: false, attempts: 0 };
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        last = { ok: res.ok, attempts: attempt, status: res.status };
        if (res.ok) return last;
        if (res.status < 500 && res.status !== 429) return { ...last, error: `HTTP ${res.status}` };
        last.error = `HTTP ${res.status}`;
      } catch (err) {
        const name = (err as Error).name;
        last = {
          ok: false,
          attempts: attempt,
          error: name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : (err as Error).message,
        };
      }
      if (attempt <= retries) await sleep((this.settings.backoffMs ?? 250) * 2 ** (attempt - 1));
    }
    return last;
  }
}
