export * from './feature-flag.guard';
export * from './feature-flags.module';
export * from './feature-flags.service';
export * from './feature-flags.settings';
export * from './require-flag.decorator';
