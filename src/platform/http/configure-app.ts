import { VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { buildOpenApiDocument, type OpenApiInfo, serveOpenApi } from '../openapi/openapi-document';
import { httpConfig, type HttpConfig } from './http.config';

/**
 * Everything an app needs between `NestFactory.create` and `listen`: logger, security headers,
 * CORS, proxy trust, versioning, OpenAPI. (Signal handling is main.ts's: see installShutdownHandlers.) main.ts, e2e tests and benchmarks all
 * call this, so they exercise the same stack.
 */
export function configurePlatformApp(app: NestExpressApplication, info: OpenApiInfo): NestExpressApplication {
  const http = app.get<HttpConfig>(httpConfig.KEY);
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', http.trustProxyHops);
  app.use(helmet());
  if (http.corsOrigins.length > 0) {
    app.enableCors({ origin: http.corsOrigins, exposedHeaders: ['x-request-id', 'retry-after'] });
  }
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: VERSION_NEUTRAL });
  serveOpenApi(app, buildOpenApiDocument(app, info));
  return app;
}
