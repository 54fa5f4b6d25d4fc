export { installValidationMetadataCache } from './validation-metadata-cache';
