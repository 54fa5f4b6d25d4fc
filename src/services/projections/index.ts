export * from './projections.module';
export * from './projections.service';
