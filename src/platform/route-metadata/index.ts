export * from './access.decorators';
export * from './route-metadata';
export * from './throttle.decorators';
