export type ProbeStatus = 'healthy' | 'unhealthy' | 'unknown';

/**
 * An instance's active health, as an external health checker last reported it through
 * `UpstreamPool.reportProbe` (Envoy's active health checking; the pool itself never probes: what
 * "healthy" means is the upstream's business, e.g. Ollama's `/api/version` and `/api/tags`).
 */
export class ProbeState {
  status: ProbeStatus = 'unknown';
  /** When the last probe result arrived (ms epoch); 0 = never probed. */
  at = 0;
  detail?: string;
  /** A real call succeeded after the last failed probe. */
  private overridden = false;

  /** Records a probe result; returns whether the status changed. */
  report(healthy: boolean, now: number, detail?: string): boolean {
    const next: ProbeStatus = healthy ? 'healthy' : 'unhealthy';
    const changed = next !== this.status;
    this.status = next;
    this.at = now;
    this.detail = detail;
    this.overridden = false;
    return changed;
  }

  /** A real call to the instance succeeded (answered with a non-failure status). */
  realSuccess(): void {
    if (this.status === 'unhealthy') this.overridden = true;
  }

  /** The last probe failed and no real call has succeeded since: keep the instance out of rotation. */
  get failing(): boolean {
    return this.status === 'unhealthy' && !this.overridden;
  }
}
