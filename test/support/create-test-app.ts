import type { ModuleMetadata } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { DestinationStream } from 'pino';
import { APP_INFO } from '../../src/app.info';
import { AppModule } from '../../src/app.module';
import { configurePlatformApp } from '../../src/platform/http/configure-app';

export interface TestAppOptions {
  /** Extra modules/controllers mounted beside the real app (fixtures that exercise the platform). */
  extra?: ModuleMetadata;
  /** Environment overrides applied before config is loaded (restored by `close`). */
  env?: Record<string, string>;
  logStream?: DestinationStream;
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

/** Builds the real application exactly as main.ts does, initialised but not listening. */
export async function createTestApp(options: TestAppOptions = {}): Promise<NestExpressApplication> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(options.env ?? {})) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot({ logStream: options.logStream }), ...(options.extra?.imports ?? [])],
    controllers: options.extra?.controllers ?? [],
    providers: options.extra?.providers ?? [],
  });
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, bufferLogs: true });
  configurePlatformApp(app, APP_INFO);
  await app.init();
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  return app;
}
