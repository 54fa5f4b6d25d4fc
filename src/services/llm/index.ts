/** Public surface of the `llm` service for other services (the gateway module itself comes later). */
export * from './llm-client';
export * from './llm.errors';
