export * from './lifecycle-phase.service';
export * from './lifecycle.config';
export * from './lifecycle.module';
export * from './shutdown';
