import type { Logger } from '@nestjs/common';
import type { Balancer, RandomSource } from './strategies/balancer';
import { createBalancer } from './strategies/create-balancer';
import { instanceIdOf, UpstreamInstance } from './upstream-instance';
import { instanceSnapshot, type UpstreamPoolSnapshot } from './upstream-snapshot';
import { UpstreamUnavailableError } from './upstream.errors';
import type { UpstreamMetricsSink } from './upstream.metrics';
import type { ResolvedPoolOptions, UpstreamInstanceConfig } from './upstream.types';

/**
 * The instances of one pool and the choice among them: adds, replaces and removes instances
 * (keeping the state of those that stay), picks the instance for each attempt (balancer,
 * bulkhead, active probes and panic mode), says when the pool can next take a call, and takes the
 * pool's snapshot.
 */
export class UpstreamInstanceSet {
  private instances: UpstreamInstance[] = [];
  private readonly balancer: Balancer;
  private panicking = false;

  constructor(
    private readonly poolName: string,
    private readonly options: ResolvedPoolOptions,
    private readonly metrics: UpstreamMetricsSink,
    private readonly logger: Logger,
    random?: RandomSource,
  ) {
    this.balancer = createBalancer(options.strategy, options.virtualNodes, random);
  }

  /** The instances in configured order (a new array after every change, never mutated). */
  get all(): readonly UpstreamInstance[] {
    return this.instances;
  }

  find(id: string): UpstreamInstance | undefined {
    return this.instances.find((i) => i.id === id);
  }

  /** Adds an instance; replaces one with the same id unless only its weight changed. */
  add(config: UpstreamInstanceConfig): void {
    const id = instanceIdOf(config);
    const existing = this.find(id);
    if (existing !== undefined && existing.url.href === new URL(config.url).href) {
      existing.weight = config.weight ?? 1;
    } else {
      this.instances = [...this.instances.filter((i) => i.id !== id), this.makeInstance(config)];
    }
    this.balancer.reset?.(this.instances);
  }

  remove(id: string): boolean {
    const before = this.instances.length;
    this.instances = this.instances.filter((i) => i.id !== id);
    if (this.instances.length === before) return false;
    this.metrics.forget(this.poolName, id);
    this.balancer.reset?.(this.instances);
    return true;
  }

  /** Replaces the instance list, keeping the state (breaker, ejections) of instances that stay. */
  set(configs: UpstreamInstanceConfig[]): void {
    const keep = new Set(configs.map(instanceIdOf));
    for (const i of this.instances) if (!keep.has(i.id)) this.remove(i.id);
    for (const c of configs) this.add(c);
  }

  /**
   * Chooses the instance for one attempt. Instances failing their active probe are skipped while
   * some instance is up; when none is, but some are held back only by their probe, the probes are
   * ignored: Envoy's panic mode (with its threshold at 100%). A probe can be wrong where real calls
   * work (a broken probe path, a checker timing out on a busy host); ignoring it costs at worst the
   * failure the call would get anyway, honouring it would fail every call locally. A full bulkhead
   * is load, not health, so it never causes panic.
   */
  pick(tried: Set<UpstreamInstance>, hashKey?: string): UpstreamInstance | undefined {
    const now = Date.now();
    const max = this.options.maxConcurrentPerInstance;
    const panic = this.inPanic(now);
    this.notePanic(panic);
    const usable = (i: UpstreamInstance) => i.outstanding < max && (panic ? i.passivelyUp(now) : i.isUp(now));
    const chosen =
      this.balancer.pick(this.instances, (i) => !tried.has(i) && usable(i), hashKey) ??
      (tried.size > 0 ? this.balancer.pick(this.instances, usable, hashKey) : undefined);
    if (chosen?.probe.failing) this.metrics.panic(this.poolName);
    return chosen;
  }

  /**
   * The pinned instance for a call with `instanceId`, when it can take the call (probes are not
   * consulted: the caller needs this very instance, and a real call is the better test).
   */
  pickPinned(id: string): UpstreamInstance | undefined {
    const instance = this.find(id);
    if (instance === undefined) return undefined;
    const now = Date.now();
    return instance.outstanding < this.options.maxConcurrentPerInstance && instance.passivelyUp(now)
      ? instance
      : undefined;
  }

  /** The error for "no instance can take the call", with Retry-After at the soonest instance. */
  unavailable(what: string): UpstreamUnavailableError {
    const now = Date.now();
    const soonest = Math.min(...this.instances.map((i) => i.availableAt(now)));
    const retryAfterSeconds = Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - now) / 1000)) : 1;
    return new UpstreamUnavailableError(`Upstream "${this.poolName}" ${what}`, { retryAfterSeconds });
  }

  snapshot(): UpstreamPoolSnapshot {
    const now = Date.now();
    const instances = this.instances.map((i) => instanceSnapshot(i, now));
    return {
      name: this.poolName,
      strategy: this.options.strategy,
      up: instances.filter((i) => i.up).length,
      total: instances.length,
      panic: this.inPanic(now),
      instances,
    };
  }

  private makeInstance(config: UpstreamInstanceConfig): UpstreamInstance {
    const instance = new UpstreamInstance(config, this.options.breaker, (inst, state) => {
      this.metrics.breakerState(this.poolName, inst.id, state);
      if (state === 'open') this.logger.warn({ instance: inst.id }, 'circuit opened');
      else if (state === 'closed') this.logger.log({ instance: inst.id }, 'circuit closed');
    });
    this.metrics.breakerState(this.poolName, instance.id, 'closed');
    // A replaced instance (same id, new URL) starts unprobed: drop the old one's probe gauge.
    this.metrics.probe(this.poolName, instance.id, 'unknown');
    return instance;
  }

  /** No instance is up, yet some are held back only by a failed active probe. */
  private inPanic(now: number): boolean {
    let heldByProbe = false;
    for (const i of this.instances) {
      if (i.isUp(now)) return false;
      if (i.passivelyUp(now)) heldByProbe = true;
    }
    return heldByProbe;
  }

  private notePanic(panic: boolean): void {
    if (panic === this.panicking) return;
    this.panicking = panic;
    if (panic) this.logger.warn('every usable instance failed its active probe: using them anyway (panic mode)');
    else this.logger.log('left panic mode: some instance is up again');
  }
}
