import { Inject, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { HttpMetricsMiddleware } from '../metrics/http-metrics.middleware';
import { bodyParsers } from './body-parsers';
import { httpConfig, type HttpConfig } from './http.config';

const ALL_ROUTES = { path: '{/*splat}', method: RequestMethod.ALL };

/**
 * Request middleware mounted through Nest. The request id and request logger come earlier (an
 * `app.use` in configurePlatformApp), so a broken or oversized body is still logged and answered
 * with its request id.
 */
@Module({})
export class HttpPipelineModule implements NestModule {
  constructor(@Inject(httpConfig.KEY) private readonly http: HttpConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, ...bodyParsers(this.http)).forRoutes(ALL_ROUTES);
  }
}
