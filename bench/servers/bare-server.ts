import 'reflect-metadata';
import { Controller, Get, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { buildOnExpressPrototypes, type ExpressPrototypes } from '../../src/platform/http/express-prototypes';

@Controller('bench')
class BareController {
  @Get('ping')
  ping(@Query('name') name?: string) {
    return { ok: true, name: name ?? 'world' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

/**
 * Baseline: a bare NestJS Express app with the same JSON route and nothing else.
 * `BENCH_BARE_PREBUILT=1` gives it Fennec's one Express fix (requests built on Express's
 * prototypes, src/platform/http/express-prototypes.ts), to show how much of Fennec's figure that
 * fix alone makes; the benchmark's baseline is bare NestJS as shipped.
 */
async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(BareModule, { logger: false });
  if (process.env.BENCH_BARE_PREBUILT === '1') {
    buildOnExpressPrototypes(app.getHttpServer(), app.getHttpAdapter().getInstance() as ExpressPrototypes);
  }
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${(app.getHttpServer().address() as { port: number }).port}\n`);
}
void main();
