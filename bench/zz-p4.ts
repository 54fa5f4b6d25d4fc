import 'reflect-metadata';
import { Injectable, Logger, Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { ManagedService, RegistryMetrics, ServiceRegistry, ServiceGraph, LifecycleOrchestrator, type ManagedLifecycle } from '../src/platform/registry';
import { discoverManagedServices } from '../src/platform/registry/discover-managed-services';
async function run() {
  const classes = Array.from({ length: 10000 }, (_, i) => {
    const C = class implements ManagedLifecycle { async start() {} async stop() {} };
    Object.defineProperty(C, 'name', { value: `Service${i}` });
    ManagedService({ name: `s-${i}`, dependsOn: i ? [`s-${Math.max(0, i - 1 - (i % 50))}`, `s-${Math.floor(i / 2)}`] : [] })(C);
    Injectable()(C);
    return C;
  });
  @Module({ imports: [DiscoveryModule], providers: classes })
  class BenchModule {}
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const discovery = app.get(DiscoveryService);
  Logger.overrideLogger(false);
  const min: Record<string, number> = {};
  const rec = (k: string, v: number) => (min[k] = Math.min(min[k] ?? Infinity, v));
  for (let r = 0; r < 8; r++) {
    let t = performance.now();
    const d = discoverManagedServices(discovery);
    rec('discover', performance.now() - t); t = performance.now();
    const g = ServiceGraph.build(d.map((x) => x.definition));
    rec('graph', performance.now() - t);
    const o = new LifecycleOrchestrator(g, new Map(d.map((x) => [x.definition.name, x.instance])));
    t = performance.now(); await o.startAll(); rec('o.start', performance.now() - t);
    t = performance.now(); await o.stopAll(); rec('o.stop', performance.now() - t);
    const reg = new ServiceRegistry(discovery, new RegistryMetrics({ registry: new Registry(), name: (s: string) => s } as never), { markReady() {} } as never);
    t = performance.now(); await reg.onApplicationBootstrap(); rec('reg.boot', performance.now() - t);
    t = performance.now(); await reg.onApplicationShutdown(); rec('reg.shutdown', performance.now() - t);
  }
  console.log(Object.fromEntries(Object.entries(min).map(([k, v]) => [k, v.toFixed(1)])));
  await app.close();
}
void run();
