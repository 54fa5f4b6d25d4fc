/** Public surface of the `llm` service for other services (the module itself: ./llm.module). */
export * from './llm-client';
export * from './llm.errors';
/** The OpenAI error dialect, for other services' OpenAI-compatible routes. */
export { OpenAiErrorFilter, openAiError } from './openai-compat/openai-error.filter';
