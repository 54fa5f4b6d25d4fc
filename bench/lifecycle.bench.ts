/**
 * npm run bench:lifecycle — the registry's lifecycle orchestration, driven directly (no HTTP).
 *
 * 1. A random DAG of 1,000 services whose start each waits 5 ms. Prints the wall time of the
 *    orchestrator's dataflow start, the critical path (longest dependency chain, weighted by each
 *    start's measured duration, and nominally depth × 5 ms), the serial sum, and against a
 *    level-by-level baseline (Promise.all per level) in the same run. Target: wall ≤ 1.2 × critical.
 * 2. 10,000 no-op services: the whole registry (Nest discovery + graph + start + stop, transition
 *    logging off as with LOG_LEVEL=silent) against a bare loop calling the same hooks in order.
 *    Target ≤ 300 ms.
 * Env: BENCH_SEED (42), BENCH_ROUNDS (3) and BENCH_OVERHEAD_ROUNDS (7): the best round is reported,
 * so noise from other processes on a shared machine is filtered out; the load average is printed.
 */
import 'reflect-metadata';
import { Injectable, Logger, Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, NestFactory } from '@nestjs/core';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LifecyclePhaseService } from '../src/platform/lifecycle/lifecycle-phase.service';
import type { MetricsService } from '../src/platform/metrics/metrics.service';
import { Registry } from 'prom-client';
import {
  LifecycleOrchestrator,
  ManagedService,
  type ManagedLifecycle,
  RegistryMetrics,
  ServiceGraph,
  ServiceRegistry,
  toServiceDefinition,
  type ServiceDefinition,
} from '../src/platform/registry';

const SEED = Number(process.env.BENCH_SEED ?? 42);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OVERHEAD_ROUNDS = Number(process.env.BENCH_OVERHEAD_ROUNDS ?? 7);
const START_MS = 5;

/** mulberry32: a small seeded PRNG, so every run benchmarks the same graphs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Service i depends on up to `maxDeps` distinct services among the `window` before it. */
function randomDag(n: number, maxDeps: number, window: number, seed: number): string[][] {
  const rand = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const deps = new Set<number>();
    const count = i === 0 ? 0 : Math.floor(rand() * (maxDeps + 1));
    for (let k = 0; k < count; k++) deps.add(Math.max(0, i - 1 - Math.floor(rand() * Math.min(window, i))));
    return [...deps].map((d) => `s-${d}`);
  });
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

/** Longest path through the graph, each node weighted by `weight(name)`. */
function criticalPath(graph: ServiceGraph, weight: (name: string) => number): number {
  const finish = new Map<string, number>();
  for (const name of graph.order) {
    const ready = Math.max(0, ...graph.node(name)!.deps.map((d) => finish.get(d.name)!));
    finish.set(name, ready + weight(name));
  }
  return Math.max(...finish.values());
}

async function dagBenchmark(): Promise<boolean> {
  const n = 1_000;
  const deps = randomDag(n, 3, 50, SEED);
  const defs: ServiceDefinition[] = deps.map((d, i) => toServiceDefinition({ name: `s-${i}`, dependsOn: d }, `S${i}`));
  const graph = ServiceGraph.build(defs);
  const depth = criticalPath(graph, () => 1);
  let best: { wall: number; critical: number; serial: number; levels: number } | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const took = new Map<string, number>();
    const instances = new Map<string, ManagedLifecycle>(
      defs.map((d) => [
        d.name,
        {
          start: async () => {
            const t0 = performance.now();
            await sleep(START_MS);
            took.set(d.name, performance.now() - t0);
          },
        },
      ]),
    );
    const orchestrator = new LifecycleOrchestrator(graph, instances);
    const t0 = performance.now();
    await orchestrator.startAll();
    const wall = performance.now() - t0;
    const critical = criticalPath(graph, (name) => took.get(name)!);
    const serial = [...took.values()].reduce((a, b) => a + b, 0);
    const levels = await levelBaseline(graph, instances);
    if (!best || wall / critical < best.wall / best.critical) best = { wall, critical, serial, levels };
  }
  const { wall, critical, serial, levels } = best!;
  const ratio = wall / critical;
  const variable = await variableDurations(graph);
  console.log(
    `\n1) best of ${ROUNDS} rounds. random DAG: ${n} services, ${START_MS} ms start each, ${graph.order.length} nodes, depth ${depth}`,
  );
  console.log(`   dataflow wall time            ${ms(wall)}`);
  console.log(
    `   critical path (measured)      ${ms(critical)}   (nominal ${depth} × ${START_MS} ms = ${ms(depth * START_MS)})`,
  );
  console.log(`   serial sum                    ${ms(serial)}`);
  console.log(`   baseline: level-by-level wall ${ms(levels)}   (equal durations: levels cost nothing extra here)`);
  console.log(
    `   same DAG, starts of 1–9 ms:   dataflow ${ms(variable.dataflow)}, level-by-level ${ms(variable.levels)} (${(variable.levels / variable.dataflow).toFixed(2)}×)`,
  );
  console.log(
    `   wall / critical path          ${ratio.toFixed(3)}   target ≤ 1.2 → ${ratio <= 1.2 ? 'PASS' : 'FAIL'}`,
  );
  return ratio <= 1.2;
}

/** Where dataflow pays off: uneven start times (same mean), both schedulers on the same durations. */
async function variableDurations(graph: ServiceGraph): Promise<{ dataflow: number; levels: number }> {
  const rand = prng(SEED + 7);
  const instances = new Map<string, ManagedLifecycle>(
    graph.order.map((name) => {
      const wait = 1 + Math.floor(rand() * 9);
      return [name, { start: () => sleep(wait).then(() => undefined) }];
    }),
  );
  const t0 = performance.now();
  await new LifecycleOrchestrator(graph, instances).startAll();
  const dataflow = performance.now() - t0;
  return { dataflow, levels: await levelBaseline(graph, instances) };
}

/** The batch approach the dataflow scheduler replaces: each level waits for the slowest of the previous one. */
async function levelBaseline(graph: ServiceGraph, instances: Map<string, ManagedLifecycle>): Promise<number> {
  const level = new Map<string, number>();
  for (const name of graph.order)
    level.set(name, 1 + Math.max(-1, ...graph.node(name)!.deps.map((d) => level.get(d.name)!)));
  const byLevel: string[][] = [];
  for (const [name, l] of level) (byLevel[l] ??= []).push(name);
  const t0 = performance.now();
  for (const names of byLevel) await Promise.all(names.map((name) => instances.get(name)!.start!()));
  return performance.now() - t0;
}

async function overheadBenchmark(): Promise<boolean> {
  const n = 10_000;
  const deps = randomDag(n, 2, 100, SEED + 1);
  const classes = deps.map((dependsOn, i) => {
    const C = class implements ManagedLifecycle {
      async start(): Promise<void> {}
      async stop(): Promise<void> {}
    };
    Object.defineProperty(C, 'name', { value: `Service${i}` });
    ManagedService({ name: `s-${i}`, dependsOn })(C);
    Injectable()(C);
    return C;
  });
  @Module({ imports: [DiscoveryModule], providers: classes })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const discovery = app.get(DiscoveryService);
  Logger.overrideLogger(false);

  let best: { total: number; bootstrap: number; shutdown: number; bare: number } | undefined;
  for (let round = 0; round < OVERHEAD_ROUNDS; round++) {
    const metricsService = {
      registry: new Registry(),
      name: (s: string) => `fennec_${s}`,
    } as unknown as MetricsService;
    const phase = { markReady: () => undefined } as unknown as LifecyclePhaseService;
    const registry = new ServiceRegistry(discovery, new RegistryMetrics(metricsService), phase);
    const t0 = performance.now();
    await registry.onApplicationBootstrap();
    const t1 = performance.now();
    await registry.onApplicationShutdown('SIGTERM');
    const t2 = performance.now();
    const counts = registry.list().filter((s) => s.state === 'STOPPED').length;
    if (counts !== n) throw new Error(`expected ${n} STOPPED services, got ${counts}`);
    const bare = await bareLoop(registry.graph()!, discovery);
    const total = t2 - t0;
    if (!best || total < best.total) best = { total, bootstrap: t1 - t0, shutdown: t2 - t1, bare };
  }
  await app.close();
  const { total, bootstrap, shutdown, bare } = best!;
  console.log(
    `\n2) best of ${OVERHEAD_ROUNDS} rounds. ${n} no-op services (random DAG, ≤ 2 deps each), registry driven directly, logging off`,
  );
  console.log(`   discover + graph + start      ${ms(bootstrap)}`);
  console.log(`   stop (reverse dataflow)       ${ms(shutdown)}`);
  console.log(`   registry overhead total       ${ms(total)}   target ≤ 300 ms → ${total <= 300 ? 'PASS' : 'FAIL'}`);
  console.log(
    `   baseline: bare sequential start+stop loop ${ms(bare)}   (registry ${(total / bare).toFixed(1)}× the bare loop)`,
  );
  return total <= 300;
}

/** The least work possible: call every hook in topological order, then in reverse. */
async function bareLoop(graph: ServiceGraph, discovery: DiscoveryService): Promise<number> {
  const byName = new Map(
    discovery
      .getProviders({ metadataKey: ManagedService.KEY })
      .map((w) => [discovery.getMetadataByDecorator(ManagedService, w)!.name, w.instance as ManagedLifecycle]),
  );
  const t0 = performance.now();
  for (const name of graph.order) await byName.get(name)!.start!();
  for (const name of [...graph.order].reverse()) await byName.get(name)!.stop!();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `lifecycle benchmark (seed ${SEED}, node ${process.version}, ${cpus().length} CPUs, load average ${load})`,
  );
  const dag = await dagBenchmark();
  const overhead = await overheadBenchmark();
  process.exitCode = dag && overhead ? 0 : 1;
}

void main();
