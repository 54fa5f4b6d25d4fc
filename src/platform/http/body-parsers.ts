import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { contextOf, runInContext } from '../context/request-context';
import { rejectPrototypeKeys } from '../errors/body-parser-errors';
import { httpConfig, type HttpConfig } from './http.config';

/**
 * JSON and form parsers with the configured size limit, as one Nest middleware. They are mounted
 * through Nest (not by NestFactory) so they run after the request edge has assigned the request
 * id, and their errors reach the exception filter: a malformed or oversized body is still logged
 * and answered with that id.
 *
 * One layer for both parsers, skipped outright for requests without a body (most GETs), and the
 * request context is entered again after a body was read: the parsers call back from the
 * socket's stream events, outside the context the request edge entered.
 */
@Injectable()
export class BodyParserMiddleware implements NestMiddleware {
  private readonly json: RequestHandler;
  private readonly urlencoded: RequestHandler;

  constructor(@Inject(httpConfig.KEY) config: HttpConfig) {
    this.json = express.json({
      limit: config.bodyLimit,
      reviver: rejectPrototypeKeys,
      type: ['application/json', 'application/*+json'],
    });
    this.urlencoded = express.urlencoded({ limit: config.bodyLimit, extended: false, parameterLimit: 1000 });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!hasBody(req)) return next();
    this.json(req, res, (err?: unknown) => {
      if (err) return next(err);
      this.urlencoded(req, res, (err2?: unknown) => {
        if (err2) return next(err2);
        const ctx = contextOf(req);
        if (ctx) runInContext(ctx, next);
        else next();
      });
    });
  }
}

/** RFC 9112 §6.3: a request has a body when it says so by Transfer-Encoding or Content-Length. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}
