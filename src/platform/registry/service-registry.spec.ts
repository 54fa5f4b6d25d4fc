import type { DiscoveryService } from '@nestjs/core';
import { Registry } from 'prom-client';
import type { LifecyclePhaseService } from '../lifecycle/lifecycle-phase.service';
import type { MetricsService } from '../metrics/metrics.service';
import type { ManagedLifecycle, ManagedServiceOptions } from './managed-service.types';
import { RegistryMetrics } from './registry-metrics';
import { ServiceNotFoundError } from './registry.errors';
import { ServiceRegistry } from './service-registry';

function registryOf(services: [ManagedServiceOptions, ManagedLifecycle][]) {
  const wrappers = services.map(([options, instance]) => ({
    options,
    instance,
    metatype: { name: `${options.name}Class` },
    isDependencyTreeStatic: () => true,
  }));
  const discovery = {
    getProviders: () => wrappers,
    getMetadataByDecorator: (_d: unknown, w: (typeof wrappers)[number]) => w.options,
    getControllers: () => [],
  } as unknown as DiscoveryService;
  const phase = { markReady: jest.fn() };
  const metricsService = { registry: new Registry(), name: (s: string) => `fennec_${s}` } as unknown as MetricsService;
  const registry = new ServiceRegistry(
    discovery,
    new RegistryMetrics(metricsService),
    phase as unknown as LifecyclePhaseService,
  );
  return { registry, phase, metricsService };
}

describe(ServiceRegistry.name, () => {
  it('should mark the process ready only after every service has started', async () => {
    let readyDuringStart: boolean | undefined;
    const { registry, phase } = registryOf([
      [{ name: 'a' }, { start: async () => void (readyDuringStart = phase.markReady.mock.calls.length > 0) }],
    ]);
    await registry.onApplicationBootstrap();
    expect(readyDuringStart).toBe(false);
    expect(phase.markReady).toHaveBeenCalledTimes(1);
    expect(registry.status()).toBe('UP');
  });

  it('should not mark the process ready when boot fails', async () => {
    const { registry, phase } = registryOf([[{ name: 'a' }, { start: () => Promise.reject(new Error('nope')) }]]);
    await expect(registry.onApplicationBootstrap()).rejects.toThrow("critical service 'a' failed to start: nope");
    expect(phase.markReady).not.toHaveBeenCalled();
    expect(registry.status()).toBe('DOWN');
  });

  it('should emit every transition on changes$ and complete it at shutdown', async () => {
    const { registry } = registryOf([[{ name: 'a' }, {}]]);
    const seen: string[] = [];
    let completed = false;
    registry.changes$.subscribe({ next: (c) => seen.push(`${c.service}:${c.to}`), complete: () => (completed = true) });
    await registry.onApplicationBootstrap();
    await registry.onApplicationShutdown('SIGTERM');
    expect(seen).toEqual(['a:STARTING', 'a:RUNNING', 'a:STOPPING', 'a:STOPPED']);
    expect(completed).toBe(true);
  });

  it('should throw ServiceNotFoundError for unknown names', async () => {
    const { registry } = registryOf([[{ name: 'a' }, {}]]);
    await registry.onApplicationBootstrap();
    expect(() => registry.get('b')).toThrow(ServiceNotFoundError);
    await expect(registry.restart('b')).rejects.toThrow("No managed service is named 'b'");
    expect(registry.isAvailable('b')).toBe(false);
    expect(registry.isAvailable('a')).toBe(true);
  });

  it('should report health from the service, its state, or a timeout', async () => {
    jest.useFakeTimers();
    try {
      const { registry } = registryOf([
        [{ name: 'ok' }, { checkHealth: async () => ({ status: 'UP', details: { x: 1 } }) }],
        [{ name: 'plain' }, {}],
        [{ name: 'slow', healthTimeoutMs: 100 }, { checkHealth: () => new Promise(() => undefined) }],
        [{ name: 'off', critical: false }, { start: () => Promise.reject(new Error('down')) }],
      ]);
      await registry.onApplicationBootstrap();
      await expect(registry.checkHealth('ok')).resolves.toEqual({ status: 'UP', details: { x: 1 } });
      await expect(registry.checkHealth('plain')).resolves.toEqual({ status: 'UP' });
      await expect(registry.checkHealth('off')).resolves.toEqual({ status: 'DOWN', reason: 'down' });
      const slow = registry.checkHealth('slow');
      await jest.advanceTimersByTimeAsync(100);
      await expect(slow).resolves.toEqual({ status: 'DOWN', reason: 'timeout' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('should expose state counts and start durations as metrics', async () => {
    const { registry, metricsService } = registryOf([
      [{ name: 'a' }, {}],
      [{ name: 'b', critical: false }, { start: () => Promise.reject(new Error('x')) }],
    ]);
    await registry.onApplicationBootstrap();
    const text = await metricsService.registry.metrics();
    expect(text).toContain('fennec_registry_services{state="RUNNING"} 1');
    expect(text).toContain('fennec_registry_services{state="FAILED"} 1');
    expect(text).toContain('fennec_registry_service_start_duration_seconds_count{service="a"} 1');
    expect(text).not.toContain('fennec_registry_service_start_duration_seconds_count{service="b"}');
  });
});
