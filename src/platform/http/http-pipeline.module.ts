import { Module } from '@nestjs/common';
import { BodyParserMiddleware } from './body-parsers';

/**
 * Request middleware of the platform. configurePlatformApp mounts it with `app.use` after the
 * request edge (request id, request context, metrics, completion line), so a broken or
 * oversized body is still logged and answered with its request id.
 */
@Module({ providers: [BodyParserMiddleware], exports: [BodyParserMiddleware] })
export class HttpPipelineModule {}
