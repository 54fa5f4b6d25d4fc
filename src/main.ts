import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { APP_INFO } from './app.info';
import { AppModule } from './app.module';
import { loadAppOpenApiMetadata } from './app.openapi-metadata';
import { appConfig, type AppConfig } from './platform/config/app.config';
import { configurePlatformApp } from './platform/configure-app';
import { installShutdownHandlers, lifecycleConfig, type LifecycleConfig } from './platform/lifecycle';

async function bootstrap(): Promise<void> {
  await loadAppOpenApiMetadata();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    bufferLogs: true,
    bodyParser: false,
    // Errors reach the catch below (one-line cause, exit 1) instead of Nest's own handler.
    abortOnError: false,
  });
  configurePlatformApp(app, APP_INFO);
  const { port, host } = app.get<AppConfig>(appConfig.KEY);
  installShutdownHandlers(app, app.get<LifecycleConfig>(lifecycleConfig.KEY).shutdownTimeoutMs);
  await app.listen(port, host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  new Logger('Bootstrap').log({ url, docs: `${url}/docs` }, `listening on ${url} (API docs at ${url}/docs)`);
}

bootstrap().catch((err: unknown) => {
  // One line naming the cause; config errors list every bad variable.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`fennec: failed to start: ${message}\n`);
  process.exitCode = 1;
  // Let buffered (asynchronous) log writes drain, then make sure nothing keeps the process alive.
  setTimeout(() => process.exit(1), 200).unref();
});
