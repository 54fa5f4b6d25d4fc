export * from './data-dir.service';
export * from './durable-log';
export * from './storage.config';
export * from './storage.module';
export * from './postgres-schema';
