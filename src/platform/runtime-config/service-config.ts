import { Inject, Injectable, Scope } from '@nestjs/common';
import { INQUIRER } from '@nestjs/core';
import { ManagedService } from '../registry/managed-service.decorator';
import { RuntimeConfigService } from './runtime-config.service';

/**
 * Typed access to the runtime configuration of the managed service it is injected into, without
 * naming the service: the platform reads the owner's `@ManagedService({ name, config })`.
 *
 * ```ts
 * @ManagedService({ name: 'inventory', config: InventorySettings })
 * @Injectable()
 * export class InventoryService {
 *   constructor(private readonly config: ServiceConfig<InventorySettings>) {}
 *   limit() { return this.config.current.maxItems; } // always the current version
 * }
 * ```
 *
 * One instance per owner (transient). Injecting it into a class that is not a `@ManagedService`
 * with `config` fails boot with a message naming the class.
 */
@Injectable({ scope: Scope.TRANSIENT })
export class ServiceConfig<T extends object = Record<string, unknown>> {
  /** The owning service's name. */
  readonly service: string;

  constructor(
    @Inject(INQUIRER) owner: object | undefined,
    private readonly runtime: RuntimeConfigService,
  ) {
    const cls = owner?.constructor;
    const options =
      cls && (Reflect.getMetadata(ManagedService.KEY, cls) as { name: string; config?: unknown } | undefined);
    if (!options?.config) {
      throw new Error(
        `ServiceConfig is injected into ${cls?.name ?? 'an unknown class'}, which is not a @ManagedService declaring \`config\``,
      );
    }
    this.service = options.name;
  }

  /** The effective values now (deep-frozen; defaults < file < env < runtime). Read it per use, do not keep it. */
  get current(): Readonly<T> {
    return this.runtime.get<T>(this.service);
  }
}
