export * from './health.config';
export * from './lifecycle-phase.service';
