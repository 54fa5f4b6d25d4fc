/** Public surface of the platform's HTTP layer for services. */
export * from './client-disconnect';
export * from './request-id';
