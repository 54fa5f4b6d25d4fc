/** Public surface of the `llm` service for other services (the module itself: ./llm.module). */
export * from './llm-client';
export * from './llm.errors';
