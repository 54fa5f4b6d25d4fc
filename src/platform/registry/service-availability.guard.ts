import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadata } from '../route-metadata/route-metadata';
import { ServiceUnavailableError } from './registry.errors';
import { SERVICE_ROUTE_KEY } from './service-route.decorator';
import { ServiceRegistry } from './service-registry';

/** Seconds a caller is told to wait before retrying a route whose service is down. */
export const SERVICE_UNAVAILABLE_RETRY_AFTER_S = 5;

/** Global guard: refuses `@ServiceRoute(name)` routes while that service is not up. */
@Injectable()
export class ServiceAvailabilityGuard implements CanActivate {
  private readonly serviceOf: RouteMetadata<string>;

  constructor(
    reflector: Reflector,
    private readonly registry: ServiceRegistry,
  ) {
    this.serviceOf = new RouteMetadata(reflector, SERVICE_ROUTE_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const service = this.serviceOf.get(context);
    if (service === undefined || this.registry.isAvailable(service)) return true;
    throw new ServiceUnavailableError(`The '${service}' service is not available right now`, {
      retryAfterSeconds: SERVICE_UNAVAILABLE_RETRY_AFTER_S,
    });
  }
}
