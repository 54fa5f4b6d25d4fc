import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Observable, Subject } from 'rxjs';
import { LifecyclePhaseService } from '../lifecycle/lifecycle-phase.service';
import { checkServiceRoutes } from './check-service-routes';
import { discoverManagedServices } from './discover-managed-services';
import { LifecycleOrchestrator } from './lifecycle-orchestrator';
import type { HealthStatus, ManagedLifecycle, ServiceHealthReport } from './managed-service.types';
import { RegistryMetrics } from './registry-metrics';
import { LifecycleTimeoutError, ServiceNotFoundError, ServiceStopFailedError } from './registry.errors';
import { ServiceGraph } from './service-graph';
import { isUp, type ServiceSnapshot, type ServiceStateChange } from './service-snapshot';
import { withTimeout } from './with-timeout';

/**
 * The managed services of this application. At bootstrap (before the HTTP server listens) it
 * discovers every `@ManagedService` provider, validates the dependency graph and starts the
 * services in dependency order, then marks the process ready. At shutdown (after the HTTP server
 * has closed) it stops them in reverse order.
 *
 * Lifecycle commands (`start`, `stop`, `restart`) are serialized with boot and shutdown.
 */
@Injectable()
export class ServiceRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('registry');
  private readonly changes = new Subject<ServiceStateChange>();
  private orchestrator?: LifecycleOrchestrator;
  /** Services an admin (or an automation rule) took out of service; see {@link setOutOfService}. */
  private readonly maintenance = new Map<string, { reason: string; since: Date }>();

  /** Every state transition of every service, as it happens. */
  readonly changes$: Observable<ServiceStateChange> = this.changes.asObservable();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly metrics: RegistryMetrics,
    private readonly phase: LifecyclePhaseService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const began = Date.now();
    const discovered = discoverManagedServices(this.discovery);
    const graph = ServiceGraph.build(discovered.map((d) => d.definition));
    checkServiceRoutes(this.discovery, (name) => graph.has(name));
    const instances = new Map<string, ManagedLifecycle>(discovered.map((d) => [d.definition.name, d.instance]));
    const orchestrator = new LifecycleOrchestrator(graph, instances, {
      onChange: (change) => this.onChange(change),
      onStarted: (service, seconds) => this.metrics.observeStart(service, seconds),
    });
    this.orchestrator = orchestrator;
    this.metrics.countStatesWith(() => orchestrator.countByState());
    const deps = Object.fromEntries(graph.order.map((n) => [n, graph.node(n)!.deps.map((d) => d.name)]));
    this.logger.log({ services: graph.order, graph: deps }, `starting ${graph.size} managed service(s)`);
    await orchestrator.startAll();
    const counts = orchestrator.countByState();
    const up = counts.RUNNING + counts.DEGRADED;
    this.logger.log(
      { durationMs: Date.now() - began, status: this.status(), counts },
      `started ${up}/${graph.size} managed service(s) in ${Date.now() - began} ms`,
    );
    this.phase.markReady();
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    if (!this.orchestrator) return;
    const summary = await this.orchestrator.stopAll();
    const failed = summary.failed.map((f) => `${f.service} (${f.message})`).join(', ');
    const line = `stopped ${summary.stopped.length} managed service(s) in ${summary.durationMs} ms`;
    if (summary.failed.length > 0)
      this.logger.error({ signal, ...summary }, `${line}; ${summary.failed.length} failed: ${failed}`);
    else this.logger.log({ signal, ...summary }, line);
    this.changes.complete();
  }

  /** Every managed service, dependencies before dependents. Empty before bootstrap. */
  list(): ServiceSnapshot[] {
    return this.orchestrator?.snapshots() ?? [];
  }

  /** One service; throws {@link ServiceNotFoundError} (404 problem) for an unknown name. */
  get(name: string): ServiceSnapshot {
    const snapshot = this.orchestrator?.snapshot(name);
    if (!snapshot) throw new ServiceNotFoundError(name);
    return snapshot;
  }

  /** Whether `name` is RUNNING or DEGRADED (false for unknown names). */
  isAvailable(name: string): boolean {
    const state = this.orchestrator?.stateOf(name);
    return state !== undefined && isUp(state) && !this.maintenance.has(name);
  }

  /** Starts `name` (and required dependencies that are down). Rejects if it does not come up. */
  async start(name: string): Promise<ServiceSnapshot> {
    await this.required(name).start(name);
    return this.get(name);
  }

  /** Stops `name` and everything that depends on it, dependents first. */
  async stop(name: string): Promise<ServiceSnapshot> {
    await this.required(name).stop(name);
    return this.get(name);
  }

  /**
   * The operators' stop: stops `name` and everything depending on it (dependents first) and says
   * what it stopped. Rejects with REGISTRY.STOP_FAILED naming each service whose `stop()` failed.
   */
  async stopCascade(name: string): Promise<string[]> {
    const summary = await this.required(name).stop(name);
    if (summary.failed.length > 0) {
      const details = summary.failed.map((f) => `'${f.service}': ${f.message}`).join('; ');
      throw new ServiceStopFailedError(`Could not stop cleanly: ${details}`);
    }
    return summary.stopped;
  }

  /**
   * The operators' start, the inverse of {@link stopCascade}: starts the required dependencies of
   * `name` that are down, `name`, then its dependents that are down. Resolves with the names
   * started, in start order; rejects with REGISTRY.START_FAILED naming what did not come up.
   */
  async startCascade(name: string): Promise<string[]> {
    return this.required(name).start(name, { dependents: true });
  }

  /** Stops `name` and its dependents (reverse order), starts them again; resolves with the start order. */
  async restart(name: string): Promise<string[]> {
    return this.required(name).restart(name);
  }

  /** The validated dependency graph (after bootstrap). */
  graph(): ServiceGraph | undefined {
    return this.orchestrator?.graph;
  }

  /**
   * Overall: DOWN if a critical service is not up, DEGRADED if any service is not up or is
   * DEGRADED, UP otherwise; UNKNOWN before bootstrap.
   */
  status(): HealthStatus {
    return this.orchestrator?.overallStatus() ?? 'UNKNOWN';
  }

  /**
   * Runs the service's `checkHealth()` under its `healthTimeoutMs`. A service that is not up is
   * DOWN (OUT_OF_SERVICE when stopped on purpose); one without a check reports its state.
   * No caching here: the health module caches.
   */
  async checkHealth(name: string): Promise<ServiceHealthReport> {
    const snapshot = this.get(name);
    const maintenance = this.maintenance.get(name);
    if (maintenance) return { status: 'OUT_OF_SERVICE', reason: `maintenance: ${maintenance.reason}` };
    if (snapshot.state === 'STOPPED' || snapshot.state === 'STOPPING')
      return { status: 'OUT_OF_SERVICE', reason: snapshot.state };
    if (!isUp(snapshot.state)) return { status: 'DOWN', reason: snapshot.reason ?? snapshot.state };
    const instance = this.instanceOf(name);
    if (!instance.checkHealth) {
      return snapshot.state === 'DEGRADED' ? { status: 'DEGRADED', reason: snapshot.reason } : { status: 'UP' };
    }
    const timeoutMs = this.orchestrator!.graph.node(name)!.definition.healthTimeoutMs;
    try {
      return await withTimeout(() => instance.checkHealth!(), timeoutMs, `health check of '${name}'`);
    } catch (err) {
      return {
        status: 'DOWN',
        reason: err instanceof LifecycleTimeoutError ? 'timeout' : String((err as Error).message),
      };
    }
  }

  /** The provider instance behind a service (for health checks). */
  instanceOf(name: string): ManagedLifecycle {
    const instance = this.orchestrator?.instanceOf(name);
    if (!instance) throw new ServiceNotFoundError(name);
    return instance;
  }

  // --- Maintenance (OUT_OF_SERVICE), used by the health module ---

  /**
   * Takes `name` out of service: it keeps running, but its `@ServiceRoute` routes answer 503 and its
   * health is OUT_OF_SERVICE until {@link clearOutOfService}. Throws for an unknown name.
   */
  setOutOfService(name: string, reason: string): { reason: string; since: Date } {
    this.required(name);
    const entry = { reason, since: new Date() };
    this.maintenance.set(name, entry);
    this.logger.warn({ service: name, reason }, `${name}: OUT_OF_SERVICE (${reason})`);
    return entry;
  }

  /** Puts `name` back in service; false when it was not out of service. Throws for an unknown name. */
  clearOutOfService(name: string): boolean {
    this.required(name);
    const had = this.maintenance.delete(name);
    if (had) this.logger.log({ service: name }, `${name}: back in service`);
    return had;
  }

  /** The maintenance flag of `name`, if set. */
  outOfService(name: string): { reason: string; since: Date } | undefined {
    return this.maintenance.get(name);
  }

  private required(name: string): LifecycleOrchestrator {
    if (!this.orchestrator?.has(name)) throw new ServiceNotFoundError(name);
    return this.orchestrator;
  }

  private onChange(change: ServiceStateChange): void {
    const line = `${change.service}: ${change.from} → ${change.to}${change.reason ? ` (${change.reason})` : ''}`;
    if (change.to === 'FAILED') this.logger.error(change, line);
    else if (change.to === 'BLOCKED' || change.to === 'DEGRADED') this.logger.warn(change, line);
    else this.logger.log(change, line);
    this.changes.next(change);
  }
}
