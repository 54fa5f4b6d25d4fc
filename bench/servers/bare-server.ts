import 'reflect-metadata';
import { Controller, Get, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

@Controller('bench')
class BareController {
  @Get('ping')
  ping(@Query('name') name?: string) {
    return { ok: true, name: name ?? 'world' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

/** Baseline: a bare NestJS Express app with the same JSON route and nothing else. */
async function main(): Promise<void> {
  const app = await NestFactory.create(BareModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${(app.getHttpServer().address() as { port: number }).port}\n`);
}
void main();
