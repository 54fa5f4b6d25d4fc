import { DiscoveryService } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * A provider that adds what decorators cannot know when the class is defined (schemas that depend
 * on which modules are installed, such as each service's runtime-config PATCH body) to the
 * OpenAPI document, after Nest built it. Mark the provider with {@link ContributesOpenApi}.
 * Called on an app that is created but maybe not initialised: do not rely on `onModuleInit`.
 */
export interface OpenApiContributor {
  contributeOpenApi(doc: OpenAPIObject): void;
}

/** Marks a provider implementing {@link OpenApiContributor}; `buildOpenApiDocument` calls it. */
export const ContributesOpenApi = DiscoveryService.createDecorator<void>();
