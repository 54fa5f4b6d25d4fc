import { SwaggerModule } from '@nestjs/swagger';
import metadata from './metadata';

/**
 * Applies what the @nestjs/swagger CLI plugin infers from the DTOs (types, optionality,
 * class-validator constraints, JSDoc descriptions) to their classes, so every way of running the
 * app (nest build, swc-node, Jest) builds the same OpenAPI document. `src/metadata.ts` is generated
 * by `npm run openapi:metadata`; call this once per process, before the document is built.
 */
export function loadAppOpenApiMetadata(): Promise<void> {
  return SwaggerModule.loadPluginMetadata(metadata);
}
