export * from './sse-endpoint.decorator';
export * from './sse-frame';
export * from './sse-streams.service';
export * from './sse-terminal-problem';
export * from './sse-topics.service';
export * from './streaming.config';
export * from './streaming.errors';
export * from './streaming.module';
