export * from './config-record';
export * from './runtime-config.config';
export * from './runtime-config.errors';
export * from './runtime-config.module';
export * from './runtime-config.service';
export * from './secret.decorator';
export * from './config-json-schema';
export * from './service-config';
