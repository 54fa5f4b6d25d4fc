import type { ManagedLifecycle, ServiceState } from './managed-service.types';
import { RegistryBootError, ServiceStartFailedError } from './registry.errors';
import { runDataflow } from './run-dataflow';
import { SerialQueue } from './serial-queue';
import type { ServiceGraph, ServiceNode } from './service-graph';
import { isUp, type ServiceLastError, type ServiceSnapshot, type ServiceStateChange } from './service-snapshot';
import { withTimeout } from './with-timeout';

/** Hooks the orchestrator calls as things happen; the registry turns them into logs, events, metrics. */
export interface OrchestratorHooks {
  onChange?(change: ServiceStateChange): void;
  /** A start hook succeeded after `seconds`. */
  onStarted?(service: string, seconds: number): void;
}

/** What a stop pass did. */
export interface StopSummary {
  stopped: string[];
  failed: { service: string; message: string }[];
  durationMs: number;
}

interface StartOutcome {
  critical?: { service: string; message: string };
}

interface Entry {
  readonly node: ServiceNode;
  readonly instance: ManagedLifecycle;
  state: ServiceState;
  stateSince: Date;
  reason?: string;
  startedAt?: Date;
  startDurationMs?: number;
  stoppedAt?: Date;
  stopDurationMs?: number;
  lastError?: ServiceLastError;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
const quoteList = (names: string[]) => names.map((n) => `'${n}'`).join(', ');

/**
 * Drives the lifecycle of the services in a {@link ServiceGraph}: dataflow start (each service as
 * soon as its dependencies are up), reverse-order stop, rollback, restart cascades. Commands are
 * serialized. Knows nothing of Nest; {@link ServiceRegistry} wraps it.
 */
export class LifecycleOrchestrator {
  private readonly entries = new Map<string, Entry>();
  private readonly queue = new SerialQueue();

  constructor(
    readonly graph: ServiceGraph,
    instances: ReadonlyMap<string, ManagedLifecycle>,
    private readonly hooks: OrchestratorHooks = {},
  ) {
    const now = new Date();
    for (const name of graph.order) {
      const instance = instances.get(name) ?? {};
      this.entries.set(name, { node: graph.node(name)!, instance, state: 'REGISTERED', stateSince: now });
    }
  }

  /**
   * Boot: starts every service in dependency order. When a critical service fails or times out,
   * lets in-flight starts settle, stops whatever started (reverse order) and throws a
   * {@link RegistryBootError} with a one-line cause. Non-critical failures leave the service FAILED,
   * its required dependents BLOCKED and its optional dependents DEGRADED.
   */
  startAll(): Promise<void> {
    return this.queue.run(async () => {
      const outcome = await this.startSet(this.graph.order, true);
      if (!outcome.critical) return;
      const rollback = await this.stopSet(this.graph.order);
      const { service, message: cause } = outcome.critical;
      throw new RegistryBootError(
        `critical service '${service}' failed to start: ${cause}; rolled back ${rollback.stopped.length} started service(s)`,
      );
    });
  }

  /** Shutdown: stops every running service, dependents first, all of them even if some fail. */
  stopAll(): Promise<StopSummary> {
    return this.queue.run(() => this.stopSet(this.graph.order));
  }

  /** Starts `name`, first starting any required dependency that is not up. No-op if it is up. */
  start(name: string): Promise<void> {
    return this.queue.run(async () => {
      const set = this.inOrder(new Set([...this.graph.requiredDependenciesOf(name), name]));
      await this.startSet(set, false);
      this.throwIfNotUp(name, set);
    });
  }

  /** Stops `name` and, first, everything that depends on it (reverse order). */
  stop(name: string): Promise<StopSummary> {
    return this.queue.run(() => this.stopSet(this.inOrder(new Set([name, ...this.graph.dependentsOf(name)]))));
  }

  /**
   * Stops `name` and everything depending on it (reverse order), then starts them all again
   * (forward order). Resolves with the names restarted, in start order.
   */
  restart(name: string): Promise<string[]> {
    return this.queue.run(async () => {
      const set = this.inOrder(new Set([name, ...this.graph.dependentsOf(name)]));
      await this.stopSet(set);
      await this.startSet(set, false);
      this.throwIfNotUp(name, set);
      return set;
    });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  stateOf(name: string): ServiceState | undefined {
    return this.entries.get(name)?.state;
  }

  /** Snapshots of every service, in dependency order. */
  snapshots(): ServiceSnapshot[] {
    return [...this.entries.values()].map((e) => this.toSnapshot(e));
  }

  snapshot(name: string): ServiceSnapshot | undefined {
    const e = this.entries.get(name);
    return e && this.toSnapshot(e);
  }

  countByState(): Record<ServiceState, number> {
    const counts = {
      REGISTERED: 0,
      STARTING: 0,
      RUNNING: 0,
      DEGRADED: 0,
      FAILED: 0,
      BLOCKED: 0,
      STOPPING: 0,
      STOPPED: 0,
    };
    for (const e of this.entries.values()) counts[e.state]++;
    return counts;
  }

  /**
   * DOWN if a critical service is not up, DEGRADED if any service is not RUNNING, UP otherwise.
   */
  overallStatus(): 'UP' | 'DEGRADED' | 'DOWN' {
    let status: 'UP' | 'DEGRADED' = 'UP';
    for (const e of this.entries.values()) {
      if (e.node.definition.critical && !isUp(e.state)) return 'DOWN';
      if (e.state !== 'RUNNING') status = 'DEGRADED';
    }
    return status;
  }

  instanceOf(name: string): ManagedLifecycle | undefined {
    return this.entries.get(name)?.instance;
  }

  private inOrder(set: Set<string>): string[] {
    return this.graph.order.filter((n) => set.has(n));
  }

  private throwIfNotUp(target: string, names: readonly string[]): void {
    const notUp = names.filter((n) => !isUp(this.entries.get(n)!.state));
    if (notUp.length === 0) return;
    const details = notUp.map(
      (n) => `'${n}' is ${this.entries.get(n)!.state}: ${this.entries.get(n)!.reason ?? 'unknown'}`,
    );
    throw new ServiceStartFailedError(`Could not start '${target}': ${details.join('; ')}`, { retryAfterSeconds: 5 });
  }

  private async startSet(names: readonly string[], abortOnCritical: boolean): Promise<StartOutcome> {
    const outcome: StartOutcome = {};
    const deps = (name: string) => this.entries.get(name)!.node.deps.map((d) => d.name);
    await runDataflow(names, deps, async (name) => {
      const e = this.entries.get(name)!;
      if (outcome.critical || isUp(e.state)) return;
      const down = e.node.deps.filter((d) => !isUp(this.entries.get(d.name)!.state));
      const blockedBy = down.filter((d) => !d.optional).map((d) => d.name);
      if (blockedBy.length > 0) {
        this.transition(e, 'BLOCKED', `requires ${quoteList(blockedBy)}, not running`);
        return;
      }
      this.transition(e, 'STARTING');
      const started = Date.now();
      try {
        if (e.instance.start)
          await withTimeout(() => e.instance.start!(), e.node.definition.startTimeoutMs, `start of '${name}'`);
      } catch (err) {
        const cause = message(err);
        e.startDurationMs = Date.now() - started;
        e.lastError = { phase: 'start', message: cause, at: new Date() };
        this.transition(e, 'FAILED', cause);
        if (abortOnCritical && e.node.definition.critical) outcome.critical ??= { service: name, message: cause };
        return;
      }
      e.startedAt = new Date();
      e.startDurationMs = e.startedAt.getTime() - started;
      this.hooks.onStarted?.(name, e.startDurationMs / 1000);
      const degradedBy = down.map((d) => d.name);
      if (degradedBy.length > 0) this.transition(e, 'DEGRADED', `optional ${quoteList(degradedBy)} not running`);
      else this.transition(e, 'RUNNING');
    });
    return outcome;
  }

  private async stopSet(names: readonly string[]): Promise<StopSummary> {
    const began = Date.now();
    const summary: StopSummary = { stopped: [], failed: [], durationMs: 0 };
    const dependents = (name: string) => this.entries.get(name)!.node.dependents;
    await runDataflow([...names].reverse(), dependents, async (name) => {
      const e = this.entries.get(name)!;
      if (!isUp(e.state)) return;
      this.transition(e, 'STOPPING');
      const started = Date.now();
      try {
        if (e.instance.stop)
          await withTimeout(() => e.instance.stop!(), e.node.definition.stopTimeoutMs, `stop of '${name}'`);
        e.stoppedAt = new Date();
        e.stopDurationMs = e.stoppedAt.getTime() - started;
        this.transition(e, 'STOPPED');
        summary.stopped.push(name);
      } catch (err) {
        const cause = message(err);
        e.stopDurationMs = Date.now() - started;
        e.lastError = { phase: 'stop', message: cause, at: new Date() };
        this.transition(e, 'FAILED', cause);
        summary.failed.push({ service: name, message: cause });
      }
    });
    summary.durationMs = Date.now() - began;
    return summary;
  }

  private transition(e: Entry, to: ServiceState, reason?: string): void {
    const at = new Date();
    const change: ServiceStateChange = {
      service: e.node.definition.name,
      from: e.state,
      to,
      at,
      durationMs: at.getTime() - e.stateSince.getTime(),
    };
    if (reason !== undefined) change.reason = reason;
    e.state = to;
    e.stateSince = at;
    e.reason = reason;
    this.hooks.onChange?.(change);
  }

  private toSnapshot(e: Entry): ServiceSnapshot {
    const def = e.node.definition;
    return {
      name: def.name,
      description: def.description,
      critical: def.critical,
      state: e.state,
      stateSince: e.stateSince,
      reason: e.reason,
      dependsOn: def.dependsOn.map((d) => ({ ...d, registered: this.entries.has(d.name) })),
      dependents: [...e.node.dependents],
      startTimeoutMs: def.startTimeoutMs,
      stopTimeoutMs: def.stopTimeoutMs,
      startedAt: e.startedAt,
      startDurationMs: e.startDurationMs,
      stoppedAt: e.stoppedAt,
      stopDurationMs: e.stopDurationMs,
      lastError: e.lastError,
    };
  }
}
