export * from './common.errors';
export * from './error-kind';
export * from './fennec-error';
export * from './problem-details';
export * from './validation-errors';
export * from './problem-for';
export { UnsupportedMediaTypeError } from './body-parser-errors';
export * from './error-dialects';
export * from './domain-error';
