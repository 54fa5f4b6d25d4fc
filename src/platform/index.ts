/**
 * The platform's public API in one import, for services:
 * `import { ManagedService, ServiceConfig, STATE_STORE } from '../../platform'`. Each folder's own
 * `index.ts` is public too; nothing inside src/platform imports this file (`npm run arch`).
 */
export * from './config';
export * from './context';
export * from './errors';
export * from './feature-flags';
export * from './health';
export * from './lifecycle';
export * from './logging';
export * from './metrics';
export * from './openapi';
export * from './registry';
export * from './route-metadata';
export * from './runtime-config';
export * from './security';
export * from './sensors';
export * from './state';
export * from './storage';
export * from './streaming';
export * from './upstream';
export * from './validation';
