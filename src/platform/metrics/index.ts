export * from './metrics.config';
export * from './metrics.service';
export * from './route-template';
