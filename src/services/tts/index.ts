export * from './tts.module';
export * from './tts.service';
