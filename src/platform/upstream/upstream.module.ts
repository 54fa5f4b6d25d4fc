import { Global, Module } from '@nestjs/common';
import { UpstreamController } from './upstream.controller';
import { UpstreamPools } from './upstream-pools.service';

/** Provides {@link UpstreamPools} everywhere and serves `GET /upstreams`. */
@Global()
@Module({
  controllers: [UpstreamController],
  providers: [UpstreamPools],
  exports: [UpstreamPools],
})
export class UpstreamModule {}
