import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SseStreams } from './sse-streams.service';
import { SseTopics } from './sse-topics.service';
import { streamingConfig } from './streaming.config';

/** The SSE toolkit: inject {@link SseStreams} in controllers, {@link SseTopics} wherever events are published. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(streamingConfig)],
  providers: [SseStreams, SseTopics],
  exports: [SseStreams, SseTopics],
})
export class StreamingModule {}
