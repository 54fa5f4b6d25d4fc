export * from './memory-state-store';
export * from './redis-state-store';
export * from './state-outages';
export * from './state-store';
export * from './state.config';
export * from './state.errors';
export * from './state.module';
export * from './state.service';
