import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsService } from './metrics.service';
import { routeTemplate } from './route-template';

/** nginx's convention for "client closed the connection before the answer was complete". */
const CLIENT_CLOSED = 499;

/**
 * RED metrics for every request. This is middleware rather than an interceptor on purpose:
 * interceptors run after guards, so an interceptor would never see a 401, a 429 or a 404 for an
 * unknown route, which are exactly the answers an operator needs to count.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = performance.now();
    const record = (): void => {
      res.removeListener('finish', record);
      res.removeListener('close', record);
      const status = res.writableFinished ? res.statusCode : CLIENT_CLOSED;
      this.metrics.observeHttpRequest(req.method, routeTemplate(req), status, (performance.now() - started) / 1000);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  }
}
