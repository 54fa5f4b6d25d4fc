import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { Public } from '../../src/platform/route-metadata/access.decorators';
import { SseStreams } from '../../src/platform/streaming/sse-streams.service';
import { SseTopics } from '../../src/platform/streaming/sse-topics.service';

/** SSE broadcast routes for bench:sse: follow one topic, publish to it. */
@Public()
@SkipThrottle()
@Controller('bench/sse')
export class SseBenchController {
  constructor(
    private readonly sse: SseStreams,
    private readonly topics: SseTopics,
  ) {}

  @Get('follow')
  follow(@Req() req: Request, @Res() res: Response) {
    return this.sse.topic(req, res, 'broadcast');
  }

  /** Ablation: the same platform stack, a hand-written SSE response, no toolkit (BENCH_SSE_PATH=/bench/sse/raw). */
  @Get('raw')
  raw(@Req() req: Request, @Res() res: Response) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('retry: 3000\n\n');
  }

  @Post('publish')
  @HttpCode(200)
  async publish(@Body() body: { seq: number }) {
    return { id: await this.topics.publish('broadcast', 'tick', { seq: body.seq }) };
  }

  @Get('stats')
  stats() {
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed } = process.memoryUsage();
    return { open: this.sse.openCount, rss, heapUsed };
  }
}
