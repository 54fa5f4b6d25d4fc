export * from './rag.module';
export * from './rag.service';
export * from './store/document-store';
export * from './rag-tenant';
export { IsMetadata } from './dto/metadata.validator';
export { METADATA_PROPERTY } from './dto/metadata.schema';
