import { HttpException, HttpStatus, Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { requestLimitsConfig, type RequestLimitsConfig } from './request-limits.config';

/**
 * Answers 414 (problem `REQUEST.URI_TOO_LONG`) for absurdly long URLs before routing, parsing or
 * inspection spend any time on them. (Node itself answers 431 for headers beyond 16 KiB.)
 */
@Injectable()
export class UrlLengthMiddleware implements NestMiddleware {
  constructor(@Inject(requestLimitsConfig.KEY) private readonly limits: RequestLimitsConfig) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    if (req.originalUrl.length > this.limits.maxUrlLength) {
      throw new HttpException(
        { code: 'REQUEST.URI_TOO_LONG', message: `The URL is longer than ${this.limits.maxUrlLength} characters` },
        HttpStatus.URI_TOO_LONG,
      );
    }
    next();
  }
}
