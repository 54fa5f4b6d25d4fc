import type { DiscoveryService } from '@nestjs/core';
import { ManagedService } from '../registry/managed-service.decorator';
import type { ManagedLifecycle } from '../registry/managed-service.types';
import { ConfigSchema } from './config-schema';
import { ConfigSection } from './config-section';
import { ConfigServiceNotFoundError } from './runtime-config.errors';

/**
 * The configuration sections of this process, one per `@ManagedService` provider that declares
 * `config`, found once at boot, and looked up by service name.
 */
export class ConfigSections {
  private readonly byName = new Map<string, ConfigSection>();

  constructor(private readonly discovery: DiscoveryService) {}

  discover(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: ManagedService.KEY })) {
      const options = this.discovery.getMetadataByDecorator(ManagedService, wrapper);
      if (!options?.config) continue;
      if (this.byName.has(options.name)) throw new Error(`Two managed services are named "${options.name}"`);
      const schema = new ConfigSchema(options.name, options.config);
      this.byName.set(options.name, new ConfigSection(schema, wrapper.instance as ManagedLifecycle | undefined));
    }
  }

  /** The section of `service`; throws CONFIG.SERVICE_NOT_FOUND. */
  get(service: string): ConfigSection {
    const s = this.byName.get(service);
    if (!s) throw new ConfigServiceNotFoundError(`No service named "${service}" has runtime configuration`);
    return s;
  }

  find(service: string): ConfigSection | undefined {
    return this.byName.get(service);
  }

  /** In discovery order. */
  all(): ConfigSection[] {
    return [...this.byName.values()];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
