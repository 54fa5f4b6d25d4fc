import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiProblems } from '../openapi/api-problems.decorator';

export const SERVICE_ROUTE_KEY = 'fennec:service-route';

/**
 * Ties a controller or handler to a managed service: while that service is not RUNNING or
 * DEGRADED, its routes answer 503 `REGISTRY.SERVICE_UNAVAILABLE` with `Retry-After`.
 * A handler-level name overrides the controller's. Documents that 503 (with `Retry-After`) in
 * OpenAPI for every route it covers.
 *
 * ```ts
 * @ServiceRoute('rag')
 * @Controller({ path: 'rag', version: '1' })
 * export class RagController { ... }
 * ```
 */
export const ServiceRoute = (service: string) =>
  applyDecorators(SetMetadata(SERVICE_ROUTE_KEY, service), ApiProblems(503));
