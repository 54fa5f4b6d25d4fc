import { DiscoveryService } from '@nestjs/core';
import type { ManagedServiceOptions } from './managed-service.types';

/**
 * Declares a provider as a managed service: the registry discovers it, starts it after its
 * dependencies and stops it before them.
 *
 * ```ts
 * @ManagedService({ name: 'rag', dependsOn: ['state', { name: 'llm', optional: true }] })
 * @Injectable()
 * export class RagService implements ManagedLifecycle { ... }
 * ```
 */
export const ManagedService = DiscoveryService.createDecorator<ManagedServiceOptions>();
