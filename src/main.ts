import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { APP_INFO } from './app.info';
import { AppModule } from './app.module';
import { appConfig, type AppConfig } from './platform/config/app.config';
import { configurePlatformApp } from './platform/http/configure-app';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
  });
  configurePlatformApp(app, APP_INFO);
  const { port, host } = app.get<AppConfig>(appConfig.KEY);
  await app.listen(port, host);
}

bootstrap().catch((err: unknown) => {
  // One line naming the cause; config errors list every bad variable.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`fennec: failed to start: ${message}\n`);
  process.exit(1);
});
