export * from './app.config';
export * from './env-namespace';
export * from './env-transforms';
