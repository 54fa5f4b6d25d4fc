import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { jsonObjectBody } from './request-body';

/**
 * The request body as a JSON object **whatever its Content-Type**, for drop-in API surfaces
 * whose reference servers read the body as JSON regardless (Ollama decodes every body as JSON,
 * so `curl -d '{…}'`, which sends `application/x-www-form-urlencoded`, works against it).
 * `undefined` when no body was sent; a body that is not JSON, not an object or over a limit
 * throws its 400/413 from inside the route, so the route's own error filter writes it in its
 * dialect. Native routes use `@Body()`, which answers 415 for a body not sent as JSON.
 */
export const JsonBody = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Record<string, unknown> | undefined =>
    jsonObjectBody(ctx.switchToHttp().getRequest<Request>().body, { anyMediaType: true }),
);
