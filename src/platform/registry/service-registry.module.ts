import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { HealthModule } from '../health/health.module';
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
  imports: [DiscoveryModule, HealthModule],
  controllers: [RegistryController],
  providers: [ServiceRegistry, RegistryMetrics, { provide: APP_GUARD, useClass: ServiceAvailabilityGuard }],
  exports: [ServiceRegistry],
})
export class ServiceRegistryModule {}
