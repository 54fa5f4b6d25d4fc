import { VERSION_NEUTRAL, VersioningType } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WsAdapter } from '@nestjs/platform-ws';
import type { Logger as PinoInstance } from 'pino';
import { loggingConfig, type LoggingConfig } from './logging/logging.config';
import { PlatformLogger } from './logging/platform-logger';
import { ROOT_LOGGER } from './logging/root-logger';
import { MetricsService } from './metrics/metrics.service';
import { buildOpenApiDocument, type OpenApiInfo, serveOpenApi } from './openapi/openapi-document';
import { UrlLengthMiddleware } from './security/http/url-length.middleware';
import { BodyParserMiddleware } from './http/body-parsers';
import { answerClientErrorsWithProblems } from './http/client-error';
import { buildOnExpressPrototypes, type ExpressPrototypes } from './http/express-prototypes';
import { httpConfig, type HttpConfig } from './http/http.config';
import { InFlightRequests } from './sensors/in-flight-requests';
import { requestEdge } from './http/request-edge';
import { securityHeaders } from './http/security-headers';
import { tracingConfig, type TracingConfig } from './tracing/tracing.config';

/** Response headers browsers may read cross-origin (rate-limit headers per named throttler). */
const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  ...['Limit', 'Remaining', 'Reset'].flatMap((h) =>
    ['burst', 'sustained', 'tenant'].map((t) => `x-ratelimit-${h.toLowerCase()}-${t}`),
  ),
];

/**
 * Everything an app needs between `NestFactory.create` and `listen`: logger, security headers,
 * CORS, proxy trust, parser-error answers, versioning, OpenAPI. main.ts, e2e tests and benchmarks
 * all call this, so they exercise the same stack. (Signals are main.ts's: installShutdownHandlers.)
 */
export function configurePlatformApp(app: NestExpressApplication, info: OpenApiInfo): NestExpressApplication {
  const http = app.get<HttpConfig>(httpConfig.KEY);
  app.useLogger(app.get(PlatformLogger));
  // First of all: the request id, context, metrics and completion line every later step relies on.
  app.use(
    requestEdge({
      root: app.get<PinoInstance>(ROOT_LOGGER),
      logCompletions: app.get<LoggingConfig>(loggingConfig.KEY).httpRequests,
      metrics: app.get(MetricsService),
      inFlight: app.get(InFlightRequests),
      tracing: app.get<TracingConfig>(tracingConfig.KEY).enabled,
    }),
  );
  app.disable('x-powered-by');
  app.set('trust proxy', http.trustProxyHops);
  app.use(securityHeaders());
  if (http.corsOrigins.length > 0) {
    app.enableCors({ origin: http.corsOrigins, exposedHeaders: EXPOSED_HEADERS });
  }
  // The URL-length check and the body parsers, for every request, as plain Express layers rather
  // than through Nest's MiddlewareConsumer, which wraps each in a route-pattern match, a
  // per-request WeakSet entry and an exception proxy: ≈ 70,000 instructions per request less
  // (5 %, callgrind, bench/http-instructions.bench.ts). Errors still reach the problem filter:
  // Express hands them to the error layer Nest mounts at init.
  for (const middleware of [app.get(UrlLengthMiddleware), app.get(BodyParserMiddleware)]) {
    app.use(middleware.use.bind(middleware));
  }
  answerClientErrorsWithProblems(app.getHttpServer());
  // Before the first request: Express then never re-parents a request or response (2.5× req/s).
  if (http.prebuiltPrototypes) {
    buildOnExpressPrototypes(app.getHttpServer(), app.getHttpAdapter().getInstance() as ExpressPrototypes);
  }
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: VERSION_NEUTRAL });
  // WebSocket gateways (jobs events at /jobs/ws) on the same HTTP server, with plain `ws`.
  app.useWebSocketAdapter(new WsAdapter(app));
  serveOpenApi(app, buildOpenApiDocument(app, info));
  return app;
}
