export { JsonBody } from './json-body.decorator';
export {
  isJsonMediaType,
  JSON_MEDIA_TYPES,
  jsonObjectBody,
  type JsonObjectBodyOptions,
  UnusableBody,
} from './request-body';
