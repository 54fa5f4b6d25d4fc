export * from './summarization.module';
export * from './summarization.service';
