import { Logger } from '@nestjs/common';
import { instanceIdOf, type UpstreamPool, type UpstreamInstanceConfig } from '../../platform/upstream';

/** What the last probe of one Ollama instance found. */
export interface OllamaInstanceHealth {
  id: string;
  up: boolean;
  version?: string;
  models?: number;
  checkedAt?: string;
  /** Why it is down, in words that never carry the URL. */
  error?: string;
}

/**
 * Probes every Ollama instance with `GET /api/version` and `GET /api/tags` on a timer. The pool
 * balances and breaks circuits on real traffic; the probe answers the question it cannot while
 * there is no traffic: "can the gateway serve at all?". It probes each instance directly (not
 * through the pool) because a pool call goes to whichever instance the balancer picks, and
 * reports each result to the pool (its active health), so the balancer skips an instance that
 * failed its probe and `/upstreams` shows it down.
 */
export class OllamaHealthProber {
  private readonly logger = new Logger('llm');
  private readonly health = new Map<string, OllamaInstanceHealth>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Aborts the probes in flight when the gateway stops. */
  private readonly stopped = new AbortController();

  constructor(
    private readonly instances: UpstreamInstanceConfig[],
    private readonly timeoutMs: number,
    private readonly onChange: (anyUp: boolean) => void = () => undefined,
    private readonly pool?: Pick<UpstreamPool, 'reportProbe'>,
  ) {
    for (const i of instances) this.health.set(instanceIdOf(i), { id: instanceIdOf(i), up: false });
  }

  /** Probes now, then every `intervalMs` (the timer does not keep the process alive). */
  async start(intervalMs: number): Promise<void> {
    await this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.stopped.abort();
  }

  anyUp(): boolean {
    for (const h of this.health.values()) if (h.up) return true;
    return false;
  }

  snapshot(): OllamaInstanceHealth[] {
    return [...this.health.values()];
  }

  /**
   * A real call succeeded there: it is up, whatever the last probe said, until the next probe.
   * The pool does the same on its own for its active health (a real success outranks a failed
   * probe), so this is not reported to it.
   */
  markUp(id: string): void {
    const h = this.health.get(id);
    if (h && !h.up) this.set({ ...h, up: true, error: undefined });
  }

  /** Probes every instance once (concurrent calls share one round). */
  probeAll(): Promise<void> {
    this.running ??= Promise.all(this.instances.map((i) => this.probe(i))).then(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async probe(instance: UpstreamInstanceConfig): Promise<void> {
    const id = instanceIdOf(instance);
    const base = instance.url.replace(/\/$/, '');
    const get = async (path: string) => {
      const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.stopped.signal]);
      const res = await fetch(`${base}${path}`, { signal });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`${path} answered ${res.status}`);
      }
      return (await res.json()) as Record<string, unknown>;
    };
    let found: OllamaInstanceHealth;
    try {
      const [version, tags] = await Promise.all([get('/api/version'), get('/api/tags')]);
      const models = Array.isArray(tags.models) ? tags.models.length : 0;
      found = {
        id,
        up: true,
        version: typeof version.version === 'string' ? version.version : undefined,
        models,
        checkedAt: new Date().toISOString(),
      };
    } catch (err) {
      found = { id, up: false, checkedAt: new Date().toISOString(), error: describe(err) };
    }
    if (this.stopped.signal.aborted) return;
    this.set(found);
    this.pool?.reportProbe(id, found.up, found.error);
  }

  private set(next: OllamaInstanceHealth): void {
    if (this.stopped.signal.aborted) return;
    const before = this.health.get(next.id);
    if (!this.health.has(next.id)) return; // removed while the probe ran
    const wasAnyUp = this.anyUp();
    this.health.set(next.id, next);
    if (before?.up !== next.up) {
      if (next.up) this.logger.log({ instance: next.id, version: next.version }, 'Ollama instance is up');
      else this.logger.warn({ instance: next.id, reason: next.error }, 'Ollama instance is down');
    }
    if (wasAnyUp !== this.anyUp()) this.onChange(this.anyUp());
  }
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  return e?.message ?? String(err);
}
