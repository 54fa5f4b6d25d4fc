import type { DiscoveryService } from '@nestjs/core';
import { ManagedService } from './managed-service.decorator';
import type { ManagedLifecycle } from './managed-service.types';
import { toServiceDefinition, type ServiceDefinition } from './service-definition';

/** A discovered managed service: its definition and the provider instance that implements it. */
export interface DiscoveredService {
  definition: ServiceDefinition;
  instance: ManagedLifecycle;
}

/** Every provider, in any module, that carries `@ManagedService`. */
export function discoverManagedServices(discovery: DiscoveryService): DiscoveredService[] {
  return discovery.getProviders({ metadataKey: ManagedService.KEY }).map((wrapper) => {
    const options = discovery.getMetadataByDecorator(ManagedService, wrapper)!;
    const className = wrapper.metatype?.name ?? String(wrapper.token);
    if (!wrapper.instance || !wrapper.isDependencyTreeStatic()) {
      throw new Error(`Managed service ${className} must be a singleton (default-scoped) provider`);
    }
    return { definition: toServiceDefinition(options, className), instance: wrapper.instance as ManagedLifecycle };
  });
}
