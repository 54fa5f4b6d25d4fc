/**
 * At most `perKey` tasks at once per key (here: per vision model), first come first served; a
 * waiter whose signal aborts leaves the queue. Hand-written (about 40 lines) because the limiter
 * packages either are ESM-only releases Jest's CommonJS mode cannot load or take no abort signal
 * for a queued task, and a cancelled batch must not keep its place in line.
 */
export class ModelLimiter {
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly perKey: number) {}

  async run<T>(key: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    let s = this.slots.get(key);
    if (!s) this.slots.set(key, (s = { active: 0, waiting: [] }));
    const slot = s;
    if (slot.active >= this.perKey) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        };
        const reason = () => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        const leave = () => {
          const at = slot.waiting.indexOf(go);
          if (at >= 0) slot.waiting.splice(at, 1);
          reject(reason());
        };
        if (signal?.aborted) return reject(reason());
        slot.waiting.push(go);
        signal?.addEventListener('abort', leave, { once: true });
      });
    } else {
      slot.active++;
    }
    try {
      return await task();
    } finally {
      const next = slot.waiting.shift();
      if (next) next();
      else slot.active--;
    }
  }

  /** Tasks running, per key (health details). */
  running(): Record<string, number> {
    return Object.fromEntries([...this.slots].map(([k, v]) => [k, v.active]));
  }
}
