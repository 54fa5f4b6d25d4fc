import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { APP_INFO } from '../src/app.info';
import { AppModule } from '../src/app.module';
import { loadAppOpenApiMetadata } from '../src/app.openapi-metadata';
import { configurePlatformApp } from '../src/platform/configure-app';
import { buildOpenApiDocument } from '../src/platform/openapi/openapi-document';

/**
 * `npm run openapi`: writes docs/openapi.json from the application's routes. The app is built
 * but never initialised or listening: no port is opened and no service is started.
 */
async function exportOpenApi(out: string): Promise<void> {
  process.env.LOG_LEVEL ??= 'silent';
  await loadAppOpenApiMetadata();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(), {
    logger: false,
    bodyParser: false,
    abortOnError: false,
  });
  configurePlatformApp(app, APP_INFO);
  const document = buildOpenApiDocument(app, APP_INFO);
  writeFileSync(out, JSON.stringify(document, null, 2) + '\n');
  process.stdout.write(`wrote ${out} (${Object.keys(document.paths).length} paths)\n`);
  await app.close();
}

exportOpenApi(resolve(process.argv[2] ?? 'docs/openapi.json')).catch((err: unknown) => {
  process.stderr.write(`openapi export failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
