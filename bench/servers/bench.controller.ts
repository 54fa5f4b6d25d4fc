import { Controller, Get, Query } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../../src/platform/route-metadata/access.decorators';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class PingQuery {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  name?: string;
}

/** The one JSON route both benchmark servers serve. */
@Controller('bench')
export class BenchController {
  @Get('ping')
  ping(@Query() query: PingQuery) {
    return { ok: true, name: query.name ?? 'world' };
  }

  /** Ablation only (BENCH_PATH=/bench/public): the same route without auth and throttling. */
  @Public()
  @SkipThrottle()
  @Get('public')
  open(@Query() query: PingQuery) {
    return { ok: true, name: query.name ?? 'world' };
  }
}
