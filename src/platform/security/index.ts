export * from './auth/caller-context';
export { CallerResolver, type CallerResolution } from './auth/caller-resolver.service';
export * from './inspection/input-inspection.decorators';
export type { InspectionMode } from './inspection/inspection.config';
export * from './security.errors';
export * from './throttling/client-key';
