import {
  DependencyCycleError,
  DuplicateServiceError,
  InvalidServiceNameError,
  UnknownDependencyError,
} from './registry.errors';
import type { DependencyEdge, ServiceDefinition } from './service-definition';

const KEBAB_CASE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** A service in the validated graph. */
export interface ServiceNode {
  readonly definition: ServiceDefinition;
  /** Dependencies that exist (required ones always do). */
  readonly deps: readonly DependencyEdge[];
  /** Optional dependencies that no provider declares. */
  readonly missingOptional: readonly string[];
  /** Services that depend on this one directly (required or optional). */
  readonly dependents: readonly string[];
}

/**
 * The validated dependency graph of the managed services: names are kebab-case and unique,
 * every required dependency exists, and there is no cycle. Pure: no Nest, no I/O.
 */
export class ServiceGraph {
  /** Topological order: every service after all of its dependencies. */
  readonly order: readonly string[];
  private readonly position = new Map<string, number>();
  private readonly depPositions: number[][];
  private readonly dependentPositions: number[][];

  private constructor(
    private readonly nodes: ReadonlyMap<string, ServiceNode>,
    order: string[],
  ) {
    this.order = order;
    order.forEach((name, i) => this.position.set(name, i));
    this.depPositions = order.map((name) => nodes.get(name)!.deps.map((d) => this.position.get(d.name)!));
    this.dependentPositions = order.map((name) => nodes.get(name)!.dependents.map((d) => this.position.get(d)!));
  }

  /** Validates the definitions and builds the graph; throws a one-line error naming the problem. */
  static build(definitions: readonly ServiceDefinition[]): ServiceGraph {
    const byName = new Map<string, ServiceDefinition>();
    for (const def of definitions) {
      if (!KEBAB_CASE.test(def.name)) {
        throw new InvalidServiceNameError(
          `Service name '${def.name}' (${def.className}) must be kebab-case, e.g. 'vector-store'`,
        );
      }
      const other = byName.get(def.name);
      if (other) {
        throw new DuplicateServiceError(
          `Two services are named '${def.name}': ${other.className} and ${def.className}`,
        );
      }
      byName.set(def.name, def);
    }
    const dependents = new Map<string, string[]>([...byName.keys()].map((n) => [n, []]));
    const nodes = new Map<string, ServiceNode>();
    for (const def of byName.values()) {
      const deps: DependencyEdge[] = [];
      const missingOptional: string[] = [];
      for (const dep of def.dependsOn) {
        if (byName.has(dep.name)) {
          deps.push(dep);
          dependents.get(dep.name)!.push(def.name);
        } else if (dep.optional) {
          missingOptional.push(dep.name);
        } else {
          throw new UnknownDependencyError(`Service '${def.name}' requires '${dep.name}', which no provider declares`);
        }
      }
      nodes.set(def.name, { definition: def, deps, missingOptional, dependents: dependents.get(def.name)! });
    }
    return new ServiceGraph(nodes, topologicalOrder(nodes));
  }

  get size(): number {
    return this.nodes.size;
  }

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  node(name: string): ServiceNode | undefined {
    return this.nodes.get(name);
  }

  /** Position of `name` in {@link order}, or -1. */
  positionOf(name: string): number {
    return this.position.get(name) ?? -1;
  }

  /** Positions (in {@link order}) of the direct dependencies of the service at position `i`. */
  dependencyPositions(i: number): readonly number[] {
    return this.depPositions[i];
  }

  /** Positions (in {@link order}) of the direct dependents of the service at position `i`. */
  dependentPositionsOf(i: number): readonly number[] {
    return this.dependentPositions[i];
  }

  /** Every service that depends on `name`, directly or transitively (not `name` itself). */
  dependentsOf(name: string): Set<string> {
    return this.closure(name, (n) => n.dependents);
  }

  /** Every required dependency of `name`, directly or transitively (not `name` itself). */
  requiredDependenciesOf(name: string): Set<string> {
    return this.closure(name, (n) => n.deps.filter((d) => !d.optional).map((d) => d.name));
  }

  private closure(start: string, next: (node: ServiceNode) => readonly string[]): Set<string> {
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length > 0) {
      for (const n of next(this.nodes.get(stack.pop()!)!)) {
        if (!seen.has(n) && n !== start) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    return seen;
  }
}

/** Kahn's algorithm; whatever is left over lies on or behind a cycle, which is then reported. */
function topologicalOrder(nodes: ReadonlyMap<string, ServiceNode>): string[] {
  const pending = new Map<string, number>();
  const ready: string[] = [];
  for (const [name, node] of nodes) {
    pending.set(name, node.deps.length);
    if (node.deps.length === 0) ready.push(name);
  }
  const order: string[] = [];
  for (let i = 0; i < ready.length; i++) {
    const name = ready[i];
    order.push(name);
    for (const dependent of nodes.get(name)!.dependents) {
      const left = pending.get(dependent)! - 1;
      pending.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length < nodes.size) {
    const leftover = new Set([...pending].filter(([, n]) => n > 0).map(([name]) => name));
    throw new DependencyCycleError(`Dependency cycle: ${findCycle(nodes, leftover).join(' → ')}`);
  }
  return order;
}

/** Every leftover service still waits on a leftover dependency, so following those edges must loop. */
function findCycle(nodes: ReadonlyMap<string, ServiceNode>, leftover: Set<string>): string[] {
  const path: string[] = [];
  const index = new Map<string, number>();
  let current = [...leftover].sort()[0];
  while (!index.has(current)) {
    index.set(current, path.length);
    path.push(current);
    current = nodes.get(current)!.deps.find((d) => leftover.has(d.name))!.name;
  }
  return [...path.slice(index.get(current)), current];
}
