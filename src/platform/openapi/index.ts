export * from './api-problems.decorator';
export * from './openapi-document';
export * from './problem.schema';
export * from './openapi-contributor';
