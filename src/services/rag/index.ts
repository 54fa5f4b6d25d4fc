export * from './rag.module';
export * from './rag.service';
export * from './store/document-store';
