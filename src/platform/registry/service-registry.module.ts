import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RegistryController } from './registry.controller';
import { RegistryMetrics } from './registry-metrics';
import { ServiceAvailabilityGuard } from './service-availability.guard';
import { ServiceRegistry } from './service-registry';

/**
 * Discovers `@ManagedService` providers in every module, starts them in dependency order before
 * the app listens, stops them in reverse on shutdown, guards `@ServiceRoute` routes and serves
 * the `/services` admin API. Global: any module may inject {@link ServiceRegistry}.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  controllers: [RegistryController],
  providers: [ServiceRegistry, RegistryMetrics, ServiceAvailabilityGuard],
  exports: [ServiceRegistry, ServiceAvailabilityGuard],
})
export class ServiceRegistryModule {}
