/** Public surface of the platform's HTTP layer for services. */
export * from './client-disconnect';
export * from './request-id';
export { JsonBody } from './json-body.decorator';
export {
  isJsonMediaType,
  JSON_MEDIA_TYPES,
  jsonObjectBody,
  type JsonObjectBodyOptions,
  UnusableBody,
} from './request-body';
