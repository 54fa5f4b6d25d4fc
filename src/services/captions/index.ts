export * from './captions.module';
