import { Inject, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { HttpMetricsMiddleware } from '../metrics/http-metrics.middleware';
import { bodyParsers } from './body-parsers';
import { httpConfig, type HttpConfig } from './http.config';

const ALL_ROUTES = { path: '{/*splat}', method: RequestMethod.ALL };

/**
 * Request middleware that must run after the logger. Nest mounts global modules' middleware
 * first (nestjs-pino's LoggerModule is global) and this module is not global, so every request,
 * including one with a broken or oversized body, already has its request id and log line here.
 */
@Module({})
export class HttpPipelineModule implements NestModule {
  constructor(@Inject(httpConfig.KEY) private readonly http: HttpConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware, ...bodyParsers(this.http)).forRoutes(ALL_ROUTES);
  }
}
