export * from './auth.decorators';
export * from './auth/caller';
export * from './auth/caller-context';
export { CallerResolver, type CallerResolution } from './auth/caller-resolver.service';
export { CurrentCaller } from './auth/current-caller.decorator';
export * from './inspection/input-inspection.decorators';
export type { InspectionMode } from './inspection/inspection.config';
export * from './security.errors';
export * from './throttling/throttle.decorators';
