import { Inject, Injectable, Logger } from '@nestjs/common';
import { ManagedService, type ManagedLifecycle, type ServiceHealthReport } from '../../platform/registry';
import { RuntimeConfigService } from '../../platform/runtime-config';
import {
  instanceIdOf,
  type UpstreamPool,
  UpstreamPools,
  type UpstreamReservation,
  UpstreamUnavailableError,
} from '../../platform/upstream';
import { A1111Prober } from './a1111-prober';
import { DiffusionCatalog } from './diffusion-catalog';
import { diffusionConfig, type DiffusionConfig } from './diffusion.config';
import { DiffusionUnavailableError } from './diffusion.errors';
import { DiffusionSettings } from './diffusion.settings';

export const DIFFUSION_SERVICE = 'diffusion';
export const DIFFUSION_POOL = 'diffusion';

/**
 * The diffusion gateway as a managed service: the pool of AUTOMATIC1111 / Forge instances, their
 * probes, the cached catalog, and the hand-out of idle instances to jobs.
 *
 * These servers run one generation at a time, so the pool's bulkhead is one slot per instance
 * and a job holds its instance's slot for the whole generation through a reservation
 * ({@link acquire}): the balancer never picks a busy instance, and the job's progress polls and
 * interrupt are pinned to the instance it runs on. Jobs wait in the platform queue (their
 * `position` is the queue position); the job kind runs as many at once as there are instances.
 *
 * Without DIFFUSION_URLS the service still starts and reports DOWN ("no diffusion instance
 * configured"); its routes answer 503 and everything else works.
 */
@ManagedService({
  name: DIFFUSION_SERVICE,
  critical: false,
  // jobs: the generations run as platform jobs; images: every output goes to the image store;
  // comfy (optional): /v1/images/generations may be routed to a ComfyUI template.
  dependsOn: ['upstreams', 'jobs', 'images', { name: 'comfy', optional: true }],
  config: DiffusionSettings,
  description: 'Diffusion gateway: AUTOMATIC1111 / Forge instances, one generation each at a time, as jobs',
  healthTtlMs: 1_000,
})
@Injectable()
export class DiffusionGateway implements ManagedLifecycle {
  private readonly logger = new Logger('diffusion');
  private pool?: UpstreamPool;
  private prober?: A1111Prober;
  private running = false;
  readonly catalog: DiffusionCatalog;

  constructor(
    @Inject(diffusionConfig.KEY) readonly config: DiffusionConfig,
    private readonly pools: UpstreamPools,
    private readonly runtimeConfig: RuntimeConfigService,
  ) {
    this.catalog = new DiffusionCatalog(() => this.catalogTarget(), config.catalogTtlMs);
  }

  /** Jobs that can run at once: one per instance. */
  get slots(): number {
    return Math.max(1, this.config.instances.length);
  }

  settings(): DiffusionSettings {
    return this.runtimeConfig.get<DiffusionSettings>(DIFFUSION_SERVICE);
  }

  async start(): Promise<void> {
    const { instances, strategy, generationTimeoutMs, healthIntervalMs } = this.config;
    this.catalog.clear();
    if (instances.length === 0) {
      this.running = true;
      this.logger.warn('DIFFUSION_URLS is empty: the diffusion routes answer 503');
      return;
    }
    this.pool =
      this.pools.get(DIFFUSION_POOL) ??
      this.pools.create(DIFFUSION_POOL, {
        instances,
        strategy,
        maxConcurrentPerInstance: 1,
        timeouts: { firstByteMs: generationTimeoutMs, totalMs: generationTimeoutMs + 60_000 },
        // A generation takes as long as it takes: slowness is not sickness.
        breaker: { slowCallMs: generationTimeoutMs },
      });
    this.prober = new A1111Prober(instances, this.pool, Math.min(5_000, healthIntervalMs));
    await this.prober.start(healthIntervalMs);
    this.running = true;
    if (!this.prober.anyUp()) {
      this.logger.warn(
        { instances: instances.length },
        'no diffusion instance reachable; routes answer 503 until one is',
      );
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.prober?.stop();
    this.pool = undefined;
    await this.pools.remove(DIFFUSION_POOL);
  }

  checkHealth(): Promise<ServiceHealthReport> {
    const instances = this.prober?.snapshot() ?? [];
    const busy = this.pool?.snapshot().instances.filter((i) => i.outstanding > 0).length ?? 0;
    const up = instances.filter((i) => i.up).length;
    const details = { up, total: instances.length, busy, instances };
    if (this.config.instances.length === 0) {
      return Promise.resolve({ status: 'DOWN', reason: 'no diffusion instance configured (DIFFUSION_URLS)', details });
    }
    if (up === 0) return Promise.resolve({ status: 'DOWN', reason: 'no diffusion instance reachable', details });
    if (up < instances.length) {
      return Promise.resolve({ status: 'DEGRADED', reason: `${instances.length - up} instance(s) down`, details });
    }
    return Promise.resolve({ status: 'UP', details });
  }

  /**
   * The pool, when some instance can serve.
   *
   * @throws DiffusionUnavailableError the service is not running, or no instance is configured
   * @throws UpstreamUnavailableError no instance is reachable right now (503 with Retry-After)
   */
  servingPool(): UpstreamPool {
    if (!this.running) throw new DiffusionUnavailableError('The diffusion service is not running');
    if (this.pool === undefined) {
      throw new DiffusionUnavailableError(
        'No AUTOMATIC1111 / Forge instance is configured for the diffusion service (DIFFUSION_URLS)',
        { retryAfterSeconds: 30 },
      );
    }
    if (!this.prober?.anyUp()) {
      throw new UpstreamUnavailableError('No diffusion instance is reachable right now', {
        retryAfterSeconds: Math.max(1, Math.ceil(this.config.healthIntervalMs / 1000)),
      });
    }
    return this.pool;
  }

  /**
   * Waits for an idle, healthy instance and reserves it: nothing else is sent to it until the
   * reservation is released. Rejects with the signal's reason when it aborts.
   */
  async acquire(signal: AbortSignal, onWait?: () => void): Promise<UpstreamReservation> {
    for (let waited = false; ; waited = true) {
      signal.throwIfAborted();
      const pool = this.servingPool();
      const slot = pool.reserve();
      if (slot) return slot;
      if (!waited) onWait?.();
      // A slot frees on a release, or an instance comes back after a probe: wake on either.
      await new Promise<void>((resolve) => {
        const done = () => {
          off();
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const off = pool.onRelease(done);
        const timer = setTimeout(done, 1_000);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  markUp(instance: string): void {
    this.prober?.markUp(instance);
  }

  /**
   * Catalog reads go to one instance after another (pinned, so a busy instance still answers:
   * A1111 serves its lists outside the generation lock) until one answers.
   */
  private catalogTarget(): Pick<UpstreamPool, 'request'> {
    const pool = this.servingPool();
    const ids = this.config.instances.map(instanceIdOf);
    return {
      request: async (req) => {
        let last: unknown;
        for (const id of ids) {
          try {
            return await pool.request({ ...req, instance: id });
          } catch (err) {
            last = err;
          }
        }
        throw last;
      },
    };
  }
}
