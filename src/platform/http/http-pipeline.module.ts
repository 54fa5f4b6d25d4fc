import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { BodyParserMiddleware } from './body-parsers';

const ALL_ROUTES = { path: '{/*splat}', method: RequestMethod.ALL };

/**
 * Request middleware mounted through Nest. The request id, request context, metrics and the
 * completion log line come earlier (the request edge, an `app.use` in configurePlatformApp), so
 * a broken or oversized body is still logged and answered with its request id.
 */
@Module({ providers: [BodyParserMiddleware] })
export class HttpPipelineModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BodyParserMiddleware).forRoutes(ALL_ROUTES);
  }
}
