import { Logger } from '@nestjs/common';
import { instanceIdOf, type UpstreamInstanceConfig, type UpstreamPool } from '../../platform/upstream';

/**
 * Probes every instance with `GET /sdapi/v1/progress?skip_current_image=true` (cheap, and
 * answered while a generation runs: A1111 serves it outside its queue lock) on a timer, and
 * reports each result to the pool as its active health, so an unreachable instance gets no jobs
 * and `/upstreams` shows it down even when nothing is being generated. Probes go straight to the
 * instance, not through the pool: a probe must reach an ejected instance to end its ejection.
 */
export class A1111Prober {
  private readonly logger = new Logger('diffusion');
  private readonly up = new Map<string, boolean>();
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;
  private readonly stopped = new AbortController();

  constructor(
    private readonly instances: UpstreamInstanceConfig[],
    private readonly pool: Pick<UpstreamPool, 'reportProbe'>,
    private readonly timeoutMs: number,
  ) {}

  async start(intervalMs: number): Promise<void> {
    await this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopped.abort();
  }

  anyUp(): boolean {
    return [...this.up.values()].some(Boolean);
  }

  snapshot(): { id: string; up: boolean }[] {
    return this.instances.map((i) => ({ id: instanceIdOf(i), up: this.up.get(instanceIdOf(i)) ?? false }));
  }

  /** A real call succeeded there: up until the next probe says otherwise. */
  markUp(id: string): void {
    if (this.up.has(id)) this.up.set(id, true);
  }

  probeAll(): Promise<void> {
    this.round ??= Promise.all(this.instances.map((i) => this.probe(i))).then(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async probe(instance: UpstreamInstanceConfig): Promise<void> {
    const id = instanceIdOf(instance);
    let healthy = true;
    let detail: string | undefined;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.stopped.signal]);
      const res = await fetch(`${instance.url.replace(/\/$/, '')}/sdapi/v1/progress?skip_current_image=true`, {
        signal,
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`/sdapi/v1/progress answered ${res.status}`);
    } catch (err) {
      healthy = false;
      const e = err as { name?: string; message?: string; cause?: { code?: string } };
      detail = e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.message ?? String(err));
    }
    if (this.stopped.signal.aborted) return;
    if (this.up.get(id) !== healthy) {
      if (healthy) this.logger.log({ instance: id }, 'diffusion instance is up');
      else this.logger.warn({ instance: id, reason: detail }, 'diffusion instance is down');
    }
    this.up.set(id, healthy);
    this.pool.reportProbe(id, healthy, detail);
  }
}
