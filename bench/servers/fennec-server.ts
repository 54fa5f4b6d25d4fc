import 'reflect-metadata';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { APP_INFO } from '../../src/app.info';
import { AppModule } from '../../src/app.module';
import { configurePlatformApp } from '../../src/platform/configure-app';
import { BenchController } from './bench.controller';

@Module({})
class FennecBenchModule {
  static forRoot(): DynamicModule {
    return { module: FennecBenchModule, imports: [AppModule.forRoot()], controllers: [BenchController] };
  }
}

/** Fennec: the same route behind the whole platform stack, configured as in production. */
async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(FennecBenchModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${(app.getHttpServer().address() as { port: number }).port}\n`);
}
void main();
