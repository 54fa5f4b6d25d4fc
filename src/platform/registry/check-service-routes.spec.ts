import { Controller, Get } from '@nestjs/common';
import type { DiscoveryService } from '@nestjs/core';
import { checkServiceRoutes } from './check-service-routes';
import { UnknownServiceRouteError } from './registry.errors';
import { ServiceRoute } from './service-route.decorator';

@ServiceRoute('rag')
@Controller('rag')
class RagController {
  @Get()
  list() {
    return [];
  }
}

@Controller('mixed')
class MixedController {
  @Get()
  @ServiceRoute('lmm')
  typo() {
    return [];
  }
}

const discoveryOf = (...controllers: object[]) =>
  ({ getControllers: () => controllers.map((metatype) => ({ metatype })) }) as unknown as DiscoveryService;

describe(checkServiceRoutes.name, () => {
  it('should accept routes tied to registered services', () => {
    expect(() => checkServiceRoutes(discoveryOf(RagController), (n) => n === 'rag')).not.toThrow();
  });

  it('should refuse a handler tied to an unknown service, naming the handler', () => {
    expect(() => checkServiceRoutes(discoveryOf(RagController, MixedController), (n) => n === 'rag')).toThrow(
      new UnknownServiceRouteError("@ServiceRoute('lmm') on MixedController.typo names no registered service"),
    );
  });

  it('should refuse a controller tied to an unknown service', () => {
    expect(() => checkServiceRoutes(discoveryOf(RagController), () => false)).toThrow(
      "@ServiceRoute('rag') on RagController names no registered service",
    );
  });
});
