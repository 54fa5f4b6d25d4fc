import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MetricsService } from '../metrics/metrics.service';
import { SseStreams } from './sse-streams.service';
import { SseTopics } from './sse-topics.service';
import { streamingConfig } from './streaming.config';
import { StreamingMetrics } from './streaming.metrics';

/** The SSE toolkit: inject {@link SseStreams} in controllers, {@link SseTopics} wherever events are published. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(streamingConfig)],
  providers: [
    SseStreams,
    SseTopics,
    {
      provide: StreamingMetrics,
      inject: [MetricsService],
      useFactory: (m: MetricsService) => new StreamingMetrics(m.registry, (base) => m.name(base)),
    },
  ],
  exports: [SseStreams, SseTopics],
})
export class StreamingModule {}
