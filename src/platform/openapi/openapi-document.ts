import type { INestApplication } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ContributesOpenApi, type OpenApiContributor } from './openapi-contributor';
import { addSecuritySchemes, applyOperationSecurity } from './openapi-security';
import { ErrorDialects } from '../errors';
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
 * every operation; on every problem+json operation with a request body, 400 `VALIDATION.FAILED`
 * (the validation pipe, or the body parsers, reject a malformed one before the handler runs) and
 * 415 for a body not sent as JSON. Operations under a drop-in surface with its own error dialect
 * (Ollama, OpenAI: they take JSON in any content type) get only the 500.
 */
function addDefaultProblems(doc: OpenAPIObject, dialects: ErrorDialects | undefined): void {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      op.responses['500'] ??= problemResponse(500);
      if (!op.requestBody || dialects?.forPath(path)) continue;
      op.responses['400'] ??= problemResponse(400, 'Invalid request (VALIDATION.FAILED)');
      op.responses['415'] ??= problemResponse(415);
    }
  }
}

/** A provider of the app, or `undefined` for an app built without it (a script, a narrow test). */
function optional<T>(app: INestApplication, token: new (...args: never[]) => T): T | undefined {
  try {
    return app.get(token, { strict: false });
  } catch {
    return undefined;
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
  addDefaultProblems(doc, optional(app, ErrorDialects));
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
