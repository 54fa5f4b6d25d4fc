import { applyDecorators, type CustomDecorator, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { ManagedServiceOptions } from './managed-service.types';

const discoverable = DiscoveryService.createDecorator<ManagedServiceOptions>();

/**
 * Declares a provider as a managed service: the registry discovers it, starts it after its
 * dependencies and stops it before them. Also makes the class `@Injectable()`.
 *
 * ```ts
 * @ManagedService({ name: 'rag', dependsOn: ['state', { name: 'llm', optional: true }] })
 * export class RagService implements ManagedLifecycle { ... }
 * ```
 */
export const ManagedService: typeof discoverable = Object.assign(
  (options?: ManagedServiceOptions) => applyDecorators(Injectable(), discoverable(options)) as CustomDecorator,
  { KEY: discoverable.KEY },
);
