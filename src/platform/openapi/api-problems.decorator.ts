import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { titleForStatus } from '../errors/http-error-codes';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-details';
import { ProblemSchema } from './problem.schema';

/** The OpenAPI response object for a problem+json answer with the given status. */
export function problemResponse(status: number, description = titleForStatus(status)) {
  return {
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemSchema) } } },
    ...(status === 429 || status === 503
      ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } } }
      : {}),
  };
}

/**
 * Documents the problem+json answers a handler can give, e.g. `@ApiProblems(400, 404)`.
 * 500 is added to every operation when the document is built.
 */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemSchema),
    ...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })),
  );
}
