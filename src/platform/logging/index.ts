export * from './logging.config';
export * from './redaction';
export * from './request-id';
