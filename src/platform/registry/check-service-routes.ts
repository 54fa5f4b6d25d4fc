import type { DiscoveryService } from '@nestjs/core';
import { UnknownServiceRouteError } from './registry.errors';
import { SERVICE_ROUTE_KEY } from './service-route.decorator';

/** Refuses a `@ServiceRoute(name)` on any controller or handler whose `name` is not a registered service. */
export function checkServiceRoutes(discovery: DiscoveryService, isRegistered: (name: string) => boolean): void {
  for (const wrapper of discovery.getControllers()) {
    const type = wrapper.metatype as (new (...args: never[]) => object) | null | undefined;
    if (!type || typeof type !== 'function') continue;
    const targets: [string, object][] = [[type.name, type]];
    for (const key of Object.getOwnPropertyNames(type.prototype)) {
      const member = Object.getOwnPropertyDescriptor(type.prototype, key)?.value as unknown;
      if (key !== 'constructor' && typeof member === 'function') targets.push([`${type.name}.${key}`, member]);
    }
    for (const [where, target] of targets) {
      const service = Reflect.getMetadata(SERVICE_ROUTE_KEY, target) as string | undefined;
      if (service !== undefined && !isRegistered(service)) {
        throw new UnknownServiceRouteError(`@ServiceRoute('${service}') on ${where} names no registered service`);
      }
    }
  }
}
