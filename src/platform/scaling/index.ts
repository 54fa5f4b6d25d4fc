export * from './scaling.config';
export * from './scaling-signals.service';
export * from './scaling.module';
