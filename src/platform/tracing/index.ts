export * from './gen-ai';
export * from './spans';
export * from './tracing.config';
export * from './tracing.module';
export { activeTracer, flushTracing } from './tracing-runtime';
