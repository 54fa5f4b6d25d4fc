import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { APP_INFO } from '../../src/app.info';
import { AppModule } from '../../src/app.module';
import { configurePlatformApp } from '../../src/platform/configure-app';

/** Fennec, the whole application, configured as in production (for bench/images.bench.ts). */
async function main(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`READY ${(app.getHttpServer().address() as { port: number }).port}\n`);
}
void main();
