import { Controller, Get, Query } from '@nestjs/common';
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
}
