import type { INestApplication } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ContributesOpenApi, type OpenApiContributor } from './openapi-contributor';
import { addSecuritySchemes, applyOperationSecurity } from './openapi-security';
import { problemResponse } from './api-problems.decorator';
import { ProblemSchema } from './problem.schema';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** `HealthController.live` → `healthLive`; used where a handler sets no explicit operationId. */
export function operationId(controllerKey: string, methodKey: string): string {
  return lowerFirst(controllerKey.replace(/Controller$/, '')) + upperFirst(methodKey);
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/**
 * Adds the problems the platform answers on its own, so generated clients know their shape: 500 on
 * every operation, and 400 `VALIDATION.FAILED` on every operation with a request body (the global
 * validation pipe, or the body parsers, reject a malformed one before the handler runs).
 */
function addDefaultProblems(doc: OpenAPIObject): void {
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (op.requestBody) op.responses['400'] ??= problemResponse(400, 'Invalid request (VALIDATION.FAILED)');
      op.responses['500'] ??= problemResponse(500);
    }
  }
}

/** Builds the OpenAPI 3 document for an initialised (not necessarily listening) app. */
export function buildOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = addSecuritySchemes(
    new DocumentBuilder().setTitle(info.title).setDescription(info.description).setVersion(info.version),
  ).build();
  const doc = SwaggerModule.createDocument(app, config, {
    operationIdFactory: operationId,
    extraModels: [ProblemSchema],
  });
  addDefaultProblems(doc);
  applyOperationSecurity(app, doc);
  applyContributors(app, doc);
  return doc;
}

/** Lets every `@ContributesOpenApi()` provider complete the document. */
function applyContributors(app: INestApplication, doc: OpenAPIObject): void {
  let discovery: DiscoveryService;
  try {
    discovery = app.get(DiscoveryService, { strict: false });
  } catch {
    return; // no module imports DiscoveryModule, so no provider can have asked to contribute
  }
  for (const wrapper of discovery.getProviders({ metadataKey: ContributesOpenApi.KEY })) {
    (wrapper.instance as OpenApiContributor | undefined)?.contributeOpenApi(doc);
  }
}

/** Serves Swagger UI at `/docs` and the JSON document at `/docs-json`. */
export function serveOpenApi(app: INestApplication, doc: OpenAPIObject): void {
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
