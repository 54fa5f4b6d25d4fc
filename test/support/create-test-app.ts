import type { ModuleMetadata } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { DestinationStream } from 'pino';
import { APP_INFO } from '../../src/app.info';
import { AppModule } from '../../src/app.module';
import { loadAppOpenApiMetadata } from '../../src/app.openapi-metadata';
import { configurePlatformApp } from '../../src/platform/configure-app';
import { testAuthEnv } from './test-credentials';

export interface TestAppOptions {
  /** Extra modules/controllers mounted beside the real app (fixtures that exercise the platform). */
  extra?: ModuleMetadata;
  /** Environment overrides applied before config is loaded (restored by `close`). */
  env?: Record<string, string>;
  /**
   * Default: the test API keys of test/support/test-credentials.ts (`TEST_AUTH.admin.key`, …) and
   * rate limits high enough not to interfere. `false`: no credentials configured (dev-mode tests).
   * Either way `env` wins.
   */
  testAuth?: boolean;
  logStream?: DestinationStream;
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Swagger plugin metadata of `extra` modules outside src/ (their generated `metadata.ts`). */
  openApiMetadata?: Parameters<typeof SwaggerModule.loadPluginMetadata>[0];
}

/** Builds the real application exactly as main.ts does, initialised but not listening. */
export async function createTestApp(options: TestAppOptions = {}): Promise<NestExpressApplication> {
  const saved: Record<string, string | undefined> = {};
  const defaults: Record<string, string> =
    options.testAuth === false
      ? {}
      : { ...testAuthEnv(), THROTTLE_BURST_LIMIT: '100000', THROTTLE_SUSTAINED_LIMIT: '1000000' };
  for (const [k, v] of Object.entries({ ...defaults, ...options.env })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  const restoreEnv = () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  let app: NestExpressApplication;
  try {
    await loadAppOpenApiMetadata();
    if (options.openApiMetadata) await SwaggerModule.loadPluginMetadata(options.openApiMetadata);
    let builder = Test.createTestingModule({
      imports: [AppModule.forRoot({ logStream: options.logStream }), ...(options.extra?.imports ?? [])],
      controllers: options.extra?.controllers ?? [],
      providers: options.extra?.providers ?? [],
    });
    if (options.override) builder = options.override(builder);
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, bufferLogs: true });
    configurePlatformApp(app, APP_INFO);
    await app.init();
  } catch (e) {
    // A boot failure (the subject of some tests) must not leak its env into later tests.
    restoreEnv();
    throw e;
  }
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    restoreEnv();
  };
  return app;
}
