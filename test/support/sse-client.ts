import { EventSource, type EventSourceFetchInit } from 'eventsource';

export interface ReceivedEvent {
  type: string;
  id: string;
  data: unknown;
}

/**
 * A real `eventsource` client that records every named event and the raw bytes (so tests can
 * see comments such as heartbeats, which the EventSource API hides).
 */
export class SseTestClient {
  readonly events: ReceivedEvent[] = [];
  raw = '';
  readonly es: EventSource;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];

  constructor(url: string, types: string[], headers: Record<string, string> = {}) {
    this.es = new EventSource(url, {
      fetch: async (input: string | URL, init: EventSourceFetchInit) => {
        const res = await fetch(input, { ...init, headers: { ...init.headers, ...headers } });
        const decoder = new TextDecoder();
        const tee = new TransformStream<Uint8Array, Uint8Array>({
          transform: (chunk, ctl) => {
            this.raw += decoder.decode(chunk, { stream: true });
            this.check();
            ctl.enqueue(chunk);
          },
        });
        return new Response(res.body?.pipeThrough(tee), { status: res.status, headers: res.headers });
      },
    });
    for (const type of [...types, 'done', 'error', 'gap', 'reset']) {
      this.es.addEventListener(type, (e) => {
        const m = e as unknown as { data: unknown; lastEventId: string };
        if (type === 'error' && typeof m.data !== 'string') return; // connection error, not ours
        this.events.push({ type, id: m.lastEventId, data: JSON.parse(m.data as string) as unknown });
        if (type === 'done' || type === 'error') this.es.close();
        this.check();
      });
    }
  }

  of(type: string): ReceivedEvent[] {
    return this.events.filter((e) => e.type === type);
  }

  until(pred: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(this.events)}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Resolves when a terminal event arrived. */
  ended(): Promise<void> {
    return this.until(() => this.events.some((e) => e.type === 'done' || e.type === 'error'));
  }

  close(): void {
    this.es.close();
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred()) return true;
      w.resolve();
      return false;
    });
  }
}
