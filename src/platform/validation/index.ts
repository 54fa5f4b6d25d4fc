export { installValidationMetadataCache } from './validation-metadata-cache';
export { RequestValidationPipe } from './request-validation.pipe';
