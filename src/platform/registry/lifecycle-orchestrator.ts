import type { ManagedLifecycle, ServiceState } from './managed-service.types';
import { RegistryBootError, ServiceStartFailedError } from './registry.errors';
import { runDataflow } from './run-dataflow';
import { SerialQueue } from './serial-queue';
import type { ServiceGraph, ServiceNode } from './service-graph';
import { isUp, type ServiceLastError, type ServiceSnapshot, type ServiceStateChange } from './service-snapshot';
import { withTimeout } from './with-timeout';
import { withSpan } from '../tracing';

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
  readonly index: number;
  readonly node: ServiceNode;
  /** Direct dependencies, resolved (filled once all entries exist). */
  deps: { entry: Entry; optional: boolean }[];
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
  /** The same entries by position in `graph.order`. */
  private readonly list: Entry[] = [];
  private readonly queue = new SerialQueue();
  private readonly all: number[];
  /** Set by {@link stopAll}: nothing may start after shutdown began. */
  private closed = false;

  constructor(
    readonly graph: ServiceGraph,
    instances: ReadonlyMap<string, ManagedLifecycle>,
    private readonly hooks: OrchestratorHooks = {},
  ) {
    const now = new Date();
    graph.order.forEach((name, index) => {
      const entry: Entry = {
        index,
        node: graph.node(name)!,
        deps: [],
        instance: instances.get(name) ?? {},
        state: 'REGISTERED',
        stateSince: now,
      };
      this.entries.set(name, entry);
      this.list.push(entry);
    });
    for (const e of this.list)
      e.deps = e.node.deps.map((d) => ({ entry: this.entries.get(d.name)!, optional: d.optional }));
    this.all = this.list.map((e) => e.index);
  }

  /**
   * Boot: starts every service in dependency order. When a critical service fails or times out,
   * lets in-flight starts settle, stops whatever started (reverse order) and throws a
   * {@link RegistryBootError} with a one-line cause. Non-critical failures leave the service FAILED,
   * its required dependents BLOCKED and its optional dependents DEGRADED.
   */
  startAll(): Promise<void> {
    return this.queue.run(async () => {
      const outcome = await this.startSet(this.all, true);
      if (!outcome.critical) return;
      const rollback = await this.stopSet(this.all);
      const { service, message: cause } = outcome.critical;
      throw new RegistryBootError(
        `critical service '${service}' failed to start: ${cause}; rolled back ${rollback.stopped.length} started service(s)`,
      );
    });
  }

  /** Shutdown: stops every running service, dependents first, all of them even if some fail. */
  stopAll(): Promise<StopSummary> {
    this.closed = true;
    return this.queue.run(() => this.stopSet(this.all));
  }

  /**
   * Starts `name`, first starting any required dependency that is not up. No-op if it is up.
   * With `dependents`, also starts (after it) every service depending on it that is not up, as a
   * restart would: the inverse of {@link stop}. Resolves with the names it started, in start order.
   */
  start(name: string, options: { dependents?: boolean } = {}): Promise<string[]> {
    return this.queue.run(async () => {
      this.throwIfClosed(name);
      const dependents = options.dependents ? this.graph.dependentsOf(name) : [];
      const set = this.inOrder([...this.graph.requiredDependenciesOf(name), name, ...dependents]);
      const down = set.filter((i) => !isUp(this.list[i].state));
      await this.startSet(set, false);
      this.throwIfNotUp(name, set);
      return down.map((i) => this.list[i].node.definition.name);
    });
  }

  /** Stops `name` and, first, everything that depends on it (reverse order). */
  stop(name: string): Promise<StopSummary> {
    return this.queue.run(() => this.stopSet(this.inOrder([name, ...this.graph.dependentsOf(name)])));
  }

  /**
   * Stops `name` and everything depending on it (reverse order), then starts them all again
   * (forward order). Resolves with the names restarted, in start order.
   */
  restart(name: string): Promise<string[]> {
    return this.queue.run(async () => {
      this.throwIfClosed(name);
      const set = this.inOrder([name, ...this.graph.dependentsOf(name)]);
      await this.stopSet(set);
      await this.startSet(set, false);
      this.throwIfNotUp(name, set);
      return set.map((i) => this.list[i].node.definition.name);
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
    return this.list.map((e) => this.toSnapshot(e));
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

  /** Positions of the named services, in dependency order. */
  private inOrder(names: Iterable<string>): number[] {
    return [...new Set(names)].map((n) => this.graph.positionOf(n)).sort((a, b) => a - b);
  }

  private throwIfClosed(target: string): void {
    if (this.closed) throw new ServiceStartFailedError(`Could not start '${target}': the application is shutting down`);
  }

  private throwIfNotUp(target: string, set: readonly number[]): void {
    const notUp = set.map((i) => this.list[i]).filter((e) => !isUp(e.state));
    if (notUp.length === 0) return;
    const details = notUp.map((e) => `'${e.node.definition.name}' is ${e.state}: ${e.reason ?? 'unknown'}`);
    throw new ServiceStartFailedError(`Could not start '${target}': ${details.join('; ')}`, { retryAfterSeconds: 5 });
  }

  private async startSet(set: readonly number[], abortOnCritical: boolean): Promise<StartOutcome> {
    const outcome: StartOutcome = {};
    const g = this.graph;
    await runDataflow(
      this.list.length,
      set,
      (i) => g.dependencyPositions(i),
      (i) => g.dependentPositionsOf(i),
      async (i) => {
        const e = this.list[i];
        if (outcome.critical || isUp(e.state)) return;
        let blockedBy: string[] | undefined;
        let degradedBy: string[] | undefined;
        for (const d of e.deps) {
          if (isUp(d.entry.state)) continue;
          const name = d.entry.node.definition.name;
          if (d.optional) (degradedBy ??= []).push(name);
          else (blockedBy ??= []).push(name);
        }
        if (blockedBy) {
          this.transition(e, 'BLOCKED', `requires ${quoteList(blockedBy)}, not running`);
          return;
        }
        const def = e.node.definition;
        this.transition(e, 'STARTING');
        const started = Date.now();
        try {
          if (e.instance.start)
            await withSpan(`registry.start ${def.name}`, { attributes: { 'fennec.service': def.name } }, () =>
              withTimeout(() => e.instance.start!(), def.startTimeoutMs, `start of '${def.name}'`),
            );
        } catch (err) {
          const cause = message(err);
          e.startDurationMs = Date.now() - started;
          e.lastError = { phase: 'start', message: cause, at: new Date() };
          this.transition(e, 'FAILED', cause);
          if (abortOnCritical && def.critical) outcome.critical ??= { service: def.name, message: cause };
          return;
        }
        e.startedAt = new Date();
        e.startDurationMs = e.startedAt.getTime() - started;
        this.hooks.onStarted?.(def.name, e.startDurationMs / 1000);
        if (degradedBy) this.transition(e, 'DEGRADED', `optional ${quoteList(degradedBy)} not running`);
        else this.transition(e, 'RUNNING');
      },
    );
    return outcome;
  }

  private async stopSet(set: readonly number[]): Promise<StopSummary> {
    const began = Date.now();
    const summary: StopSummary = { stopped: [], failed: [], durationMs: 0 };
    const g = this.graph;
    await runDataflow(
      this.list.length,
      set,
      (i) => g.dependentPositionsOf(i),
      (i) => g.dependencyPositions(i),
      async (i) => {
        const e = this.list[i];
        if (!isUp(e.state)) return;
        const def = e.node.definition;
        this.transition(e, 'STOPPING');
        const started = Date.now();
        try {
          if (e.instance.stop)
            await withSpan(`registry.stop ${def.name}`, { attributes: { 'fennec.service': def.name } }, () =>
              withTimeout(() => e.instance.stop!(), def.stopTimeoutMs, `stop of '${def.name}'`),
            );
          e.stoppedAt = new Date();
          e.stopDurationMs = e.stoppedAt.getTime() - started;
          this.transition(e, 'STOPPED');
          summary.stopped.push(def.name);
        } catch (err) {
          const cause = message(err);
          e.stopDurationMs = Date.now() - started;
          e.lastError = { phase: 'stop', message: cause, at: new Date() };
          this.transition(e, 'FAILED', cause);
          summary.failed.push({ service: def.name, message: cause });
        }
      },
    );
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
